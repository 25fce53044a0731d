import type { UserSession } from '../../src/index.js';
import { html } from '../html.js';
import { csrfField } from './csrf-field.js';
import { deviceName } from './device-name.js';
import { flashMessage } from './flash-message.js';
import { layout } from './layout.js';

export interface SessionsPageData {
  user: string;
  sessions: UserSession[];
  notice?: string;
  csrfToken: string;
}

/** The devices signed in as the user; without a signed-in user, a pointer to the login page. */
export function sessionsPage(data: SessionsPageData | undefined): string {
  if (data === undefined) {
    return layout({
      title: 'Your sessions',
      body: html`<section>
        <h1>Your sessions</h1>
        <p>You are not signed in.</p>
        <p><a class="button" href="/login">Sign in</a></p>
      </section>`,
    });
  }
  const { user, sessions, notice, csrfToken } = data;
  const others = sessions.filter((session) => !session.current).length;
  return layout({
    title: 'Your sessions',
    csrfToken,
    account: html`<span>Signed in as <strong id="user">${user}</strong></span>
      <a href="/">Home</a>`,
    body: html`${flashMessage(notice, 'notice')}
      <section>
        <h1>Your sessions</h1>
        <table class="sessions">
          <thead>
            <tr>
              <th>Device</th>
              <th>Last seen</th>
              <th>Signed in</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${sessions.map(
              (session) =>
                html`<tr class="session" data-current="${String(session.current)}">
                  <td>
                    <strong>${deviceName(session.userAgent)}</strong>
                    ${session.current ? html`<span class="badge">This device</span>` : ''}
                    <br /><small class="hint">${session.userAgent ?? ''}</small>
                  </td>
                  <td>
                    <time datetime="${session.lastSeenAt.toISOString()}"
                      >${ago(session.lastSeenAt)}</time
                    >
                  </td>
                  <td>
                    <time datetime="${session.createdAt.toISOString()}"
                      >${ago(session.createdAt)}</time
                    >
                  </td>
                  <td>
                    ${
                      session.current
                        ? ''
                        : html`<form method="post" action="/sessions/revoke">
                            ${csrfField(csrfToken)}
                            <input type="hidden" name="handle" value="${session.handle}" />
                            <button class="secondary" type="submit">Sign out</button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${
          others === 0
            ? html`<p class="hint">No other device is signed in.</p>`
            : html`<form method="post" action="/sessions/revoke-others">
                ${csrfField(csrfToken)}
                <button type="submit">Sign out everywhere else</button>
              </form>`
        }
        <p class="hint">
          The login bound each session to your name with <code>session.bindUser()</code>;
          <code>SessionRegistry</code> lists them, from any app instance sharing the store. A device
          signed out here finds its session gone at its next request.
        </p>
      </section>`,
  });
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
function ago(time: Date): string {
  const minutes = Math.floor((Date.now() - time.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} ${hours === 1 ? 'hour' : 'hours'} ago`;
  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? 'day' : 'days'} ago`;
}
