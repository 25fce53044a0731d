import { ForbiddenException } from '@nestjs/common';
import type { CsrfRejectionReason } from './csrf.guard.js';

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
