import { ForbiddenException } from '@nestjs/common';

/**
 * Why `CsrfGuard` refused a request; the `reason` field of the 403 body (and of a GraphQL error's
 * `extensions`). `csrf_method_not_allowed`: a GraphQL mutation sent with a safe method (GET).
 */
export type CsrfRejectionReason =
  | 'csrf_cross_site'
  | 'csrf_origin_mismatch'
  | 'csrf_token_missing'
  | 'csrf_token_invalid'
  | 'csrf_method_not_allowed';

/**
 * The 403 `CsrfGuard` throws when it refuses a request. An exception filter of the app can
 * catch it by class and branch on {@link CsrfException.reason} (for instance to render a "your
 * form expired, please reload" page on `csrf_token_invalid`); unfiltered, the client gets
 * `{ statusCode: 403, error: 'Forbidden', message, reason }`.
 */
export class CsrfException extends ForbiddenException {
  constructor(
    /** Which check refused the request. */
    readonly reason: CsrfRejectionReason,
    message: string,
  ) {
    super({ statusCode: 403, error: 'Forbidden', message, reason });
    this.name = 'CsrfException';
  }
}
