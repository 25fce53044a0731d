import {
  HttpException,
  Logger,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { SessionStoreUnavailableError, SessionTooLargeError } from '../core/errors.js';

const logger = new Logger('SessionModule');

/** The HTTP error a user should see for a session failure; other errors pass unchanged. */
export function toHttpError(error: unknown): unknown {
  if (error instanceof SessionStoreUnavailableError) {
    logger.warn(error.message);
    return new ServiceUnavailableException({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The session store is unavailable; please retry shortly',
      reason: 'session_store_unavailable',
    });
  }
  if (error instanceof SessionTooLargeError) {
    return new PayloadTooLargeException({
      statusCode: 413,
      error: 'Payload Too Large',
      message: error.message,
      reason: 'session_too_large',
    });
  }
  return error;
}

/** Whether `error` is already an HTTP error Nest will answer as is. */
export function isHttpError(error: unknown): error is HttpException {
  return error instanceof HttpException;
}
