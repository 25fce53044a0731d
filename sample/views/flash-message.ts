import { html, type SafeHtml } from '../html.js';

export function flashMessage(text: string | undefined, kind: 'notice' | 'error'): SafeHtml {
  if (text === undefined) return html``;
  return html`<p class="${kind === 'error' ? 'flash error' : 'flash'}" role="status">${text}</p>`;
}
