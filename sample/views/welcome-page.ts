import { html } from '../html.js';
import { layout } from './layout.js';

/** What a visitor without a signed-in user sees. Rendering it never starts a session. */
export function welcomePage(): string {
  return layout({
    title: 'Welcome',
    body: html`<section>
      <h1>Welcome</h1>
      <p>You are not signed in.</p>
      <p><a class="button" href="/login">Sign in</a></p>
      <p class="hint">
        Reading the <code>App\\Auth</code> segment found no session, and reading never creates one:
        this response carries no session cookie.
      </p>
    </section>`,
  });
}
