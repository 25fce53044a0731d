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

/**
 * Shows notes added in the session's other tabs as they come: the socket's handshake carries the
 * session cookie, and the server sends this session's notes only.
 */
const LIVE_SCRIPT = raw(`<script src="/socket.io/socket.io.js"></script>
<script>
  {
    const list = document.getElementById('notes');
    const empty = document.getElementById('no-notes');
    const liveStatus = document.getElementById('live-status');
    const socket = io({ transports: ['websocket'] });
    socket.on('notes', (notes) => {
      list.replaceChildren(...notes.map((text) => {
        const item = document.createElement('li');
        item.textContent = text;
        return item;
      }));
      empty.hidden = notes.length > 0;
      liveStatus.textContent = 'Live updates: on';
    });
    socket.on('signed-out', () => {
      liveStatus.textContent = 'Live updates: signed out';
    });
  }
</script>`);

export function homePage({ user, notes, notice, csrfToken }: HomePageData): string {
  return layout({
    title: 'Home',
    csrfToken,
    account: html`<span>Signed in as <strong id="user">${user}</strong></span>
      <a href="/sessions">Your sessions</a>
      <form method="post" action="/logout">
        ${csrfField(csrfToken)}
        <button class="secondary" type="submit">Log out</button>
      </form>`,
    body: html`${flashMessage(notice, 'notice')}
      <section>
        <h2>Your notes</h2>
        <p class="hint" id="no-notes" ${notes.length === 0 ? '' : raw('hidden')}>No notes yet.</p>
        <ul class="notes" id="notes">
          ${notes.map((note) => html`<li>${note}</li>`)}
        </ul>
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
        <p class="hint" id="live-status">Live updates: connecting…</p>
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
    script: html`${COUNT_SCRIPT}${LIVE_SCRIPT}`,
  });
}
