import { html, type SafeHtml } from '../html.js';

/** The CsrfGuard looks for the token in this body field on form posts. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="__csrf_value" value="${token}" />`;
}
