import { html, type SafeHtml } from '../html.js';
import { STYLES } from './styles.js';

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  /** Shown in the header when someone is signed in, next to the logout button. */
  account?: SafeHtml;
  /** For the page's own fetch calls, which send it in the x-csrf-token header. */
  csrfToken?: string;
  script?: SafeHtml;
}

export function layout(options: LayoutOptions): string {
  const { title, body, account, csrfToken, script } = options;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${csrfToken === undefined ? '' : html`<meta name="csrf-token" content="${csrfToken}" />`}
        <title>${title} · nest-aura-session sample</title>
        <style>
          ${STYLES}
        </style>
      </head>
      <body>
        <header>
          <span class="brand">nest-aura-session <small>sample</small></span>
          ${account}
        </header>
        <main>${body}</main>
        ${script}
      </body>
    </html> `.value;
}
