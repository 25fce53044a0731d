import { html, raw } from '../html.js';
import { csrfField } from './csrf-field.js';
import { flashMessage } from './flash-message.js';
import { layout } from './layout.js';

export interface HomePageData {
  user: string;
  notes: string[];
  notice?: string;
  csrfToken: string;
}

/** Sends the token from the meta tag as a header, the way a front-end framework would. */
const COUNT_SCRIPT = raw(`<script>
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const output = document.getElementById('note-count');
  document.getElementById('count-notes').addEventListener('click', async () => {
    const response = await fetch('/api/notes/count', {
      method: 'POST',
      headers: { 'x-csrf-token': token, accept: 'application/json' },
    });
    const body = await response.json();
    output.textContent = response.ok
      ? 'The API counts ' + body.count + (body.count === 1 ? ' note.' : ' notes.')
      : 'Refused: ' + response.status + ' ' + (body.reason || '');
  });
</script>`);

export function homePage({ user, notes, notice, csrfToken }: HomePageData): string {
  return layout({
    title: 'Home',
    csrfToken,
    account: html`<span>Signed in as <strong id="user">${user}</strong></span>
      <form method="post" action="/logout">
        ${csrfField(csrfToken)}
        <button class="secondary" type="submit">Log out</button>
      </form>`,
    body: html`${flashMessage(notice, 'notice')}
      <section>
        <h2>Your notes</h2>
        ${
          notes.length === 0
            ? html`<p class="hint">No notes yet.</p>`
            : html`<ul class="notes" id="notes">
                ${notes.map((note) => html`<li>${note}</li>`)}
              </ul>`
        }
        <form class="inline" method="post" action="/notes">
          ${csrfField(csrfToken)}
          <input
            type="text"
            name="text"
            aria-label="Note"
            placeholder="Write a note"
            maxlength="200"
            required
          />
          <button type="submit">Add note</button>
        </form>
        <p class="hint">
          Notes live in the <code>App\\Notes</code> segment. The form carries the CSRF token in
          <code>__csrf_value</code>; "Note added" is a flash value, shown once.
        </p>
      </section>
      <section>
        <h2>JSON API</h2>
        <p>
          <button class="secondary" id="count-notes" type="button">Count my notes</button>
          <output id="note-count"></output>
        </p>
        <p class="hint">
          <code>fetch('/api/notes/count')</code> sends the token from
          <code>&lt;meta name="csrf-token"&gt;</code> in the <code>x-csrf-token</code> header.
        </p>
      </section>`,
    script: COUNT_SCRIPT,
  });
}
