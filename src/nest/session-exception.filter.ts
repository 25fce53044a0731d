import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  failureResponseOf,
  SessionStoreUnavailableError,
  SessionTooLargeError,
} from '../core/errors.js';

/**
 * Answers session failures thrown by handlers and guards: 503 when the store is down or slow
 * (never "no session", which would log the user out), 413 when a write breaks `maxSize`.
 * Registered globally by `SessionModule`; costs nothing on requests that do not fail.
 */
@Catch(SessionStoreUnavailableError, SessionTooLargeError)
export class SessionExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SessionModule');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: SessionStoreUnavailableError | SessionTooLargeError, host: ArgumentsHost): void {
    const failure = failureResponseOf(error)!;
    if (error instanceof SessionStoreUnavailableError) this.logger.warn(error.message);
    this.adapterHost.httpAdapter.reply(
      host.switchToHttp().getResponse(),
      failure,
      failure.statusCode,
    );
  }
}
