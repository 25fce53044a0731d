import { HttpException, Logger } from '@nestjs/common';
import { failureResponseOf, SessionStoreUnavailableError } from '../core/errors.js';

const logger = new Logger('SessionModule');

/** The HTTP error a user should see for a session failure (503, 413); other errors pass unchanged. */
export function toHttpError(error: unknown): unknown {
  const failure = failureResponseOf(error);
  if (!failure) return error;
  if (error instanceof SessionStoreUnavailableError) logger.warn(error.message);
  return new HttpException(failure, failure.statusCode, { cause: error });
}
