import type { ServerResponse } from 'node:http';
import { failureResponseOf } from '../core/errors.js';
import type { SessionLogger } from '../core/session-logger.js';
import type { SessionManager } from '../core/session-manager.js';

/**
 * Holds `res.end()` until the session is committed, so the store write lands and Set-Cookie goes
 * out before the client sees the response, whatever sent it: a returned value, `@Redirect`, an
 * exception filter, `res.redirect()` in the handler. Installed on the Express responses of
 * requests that use their session, when they first do; other requests pay nothing.
 */
export function holdEndUntilCommitted(
  res: ServerResponse,
  session: SessionManager,
  logger: SessionLogger,
): void {
  const end = res.end;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (res.headersSent || !session.needsCommit()) {
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    }
    session.commit().then(
      () => (end as (...a: unknown[]) => ServerResponse).apply(this, args),
      (error: unknown) => {
        const failure = failureResponseOf(error);
        if (!failure || res.headersSent) {
          logger.warn(`Session not saved before the response: ${String(error)}`);
          return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
        }
        logger.warn((error as Error).message);
        res.statusCode = failure.statusCode;
        res.removeHeader('location');
        res.removeHeader('content-length');
        res.setHeader('content-type', 'application/json; charset=utf-8');
        (end as (...a: unknown[]) => ServerResponse).call(this, JSON.stringify(failure));
      },
    );
    return this;
  } as ServerResponse['end'];
}
