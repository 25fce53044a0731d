import { html } from '../html.js';
import { csrfField } from './csrf-field.js';
import { flashMessage } from './flash-message.js';
import { layout } from './layout.js';

export interface LoginPageData {
  csrfToken: string;
  error?: string;
}

export function loginPage({ csrfToken, error }: LoginPageData): string {
  return layout({
    title: 'Sign in',
    body: html`${flashMessage(error, 'error')}
      <section>
        <h1>Sign in</h1>
        <p>Any name works: there are no accounts.</p>
        <form class="inline" method="post" action="/login">
          ${csrfField(csrfToken)}
          <input
            type="text"
            name="name"
            aria-label="Name"
            placeholder="Your name"
            maxlength="40"
            required
            autofocus
          />
          <button type="submit">Sign in</button>
        </form>
        <p class="hint">
          This page started a session because the form needs a CSRF token. Signing in writes your
          name into the <code>App\\Auth</code> segment and regenerates the session id.
        </p>
      </section>`,
  });
}
