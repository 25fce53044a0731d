import type { ServerResponse } from 'node:http';
import { failureResponseOf } from '../core/errors.js';
import type { SessionLogger } from '../core/session-logger.js';
import { coreOf, type SessionManager } from '../core/session-manager.js';
import { graphqlFailureBody, graphqlFailureContentType } from './graphql-failure.js';
import { isGraphqlRequest } from './graphql-request.js';

type Call = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * Holds the response until the session is committed, so the store write lands and Set-Cookie
 * goes out before the client sees anything, whatever sends it: a returned value, `@Redirect`, an
 * exception filter, `res.redirect()` in the handler, a `StreamableFile` (whose first `write()`
 * would send the headers). Installed on the Express responses of requests that use their session,
 * when they first do; other requests pay nothing. A failed commit replaces the response with the
 * HTTP error (503, 413), or with a GraphQL error for a GraphQL request.
 */
export function holdResponseUntilCommitted(
  request: object,
  res: ServerResponse,
  session: SessionManager,
  logger: SessionLogger,
): void {
  const core = coreOf(session);
  const original = { write: res.write as Call, end: res.end as Call };
  // Calls made while the commit runs, replayed in order once it is done.
  let held: Array<[Call, unknown[]]> | undefined;
  // After a failed commit the response is the error: the handler's own output is dropped.
  let replaced = false;

  const release = () => {
    const calls = held!;
    held = undefined;
    for (const [call, args] of calls) call.apply(res, args);
  };
  const fail = (error: unknown) => {
    const failure = failureResponseOf(error);
    if (!failure || res.headersSent) {
      logger.warn(`Session not saved before the response: ${String(error)}`);
      return release();
    }
    logger.warn((error as Error).message);
    held = undefined;
    replaced = true;
    res.removeHeader('location');
    res.removeHeader('content-length');
    // Express tagged the handler's body: the tag must not vouch for the error.
    res.removeHeader('etag');
    if (isGraphqlRequest(request)) {
      res.statusCode = 200;
      res.setHeader('content-type', graphqlFailureContentType(res.getHeader('content-type')));
      original.end.call(res, graphqlFailureBody(failure));
      return;
    }
    res.statusCode = failure.statusCode;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    original.end.call(res, JSON.stringify(failure));
  };
  const hold = (call: Call, args: unknown[], answer: unknown): unknown => {
    if (replaced) return answer;
    if (held) {
      held.push([call, args]);
      return answer;
    }
    if (!res.headersSent) core.beforeResponse();
    if (res.headersSent || !core.needsCommit()) return call.apply(res, args);
    held = [[call, args]];
    let pending: Promise<void> | undefined;
    try {
      pending = core.commitForResponse();
    } catch (error) {
      fail(error);
      return answer;
    }
    // Committed already (a synchronous store): the response goes on without waiting.
    if (!pending) {
      release();
      return answer;
    }
    pending.then(release, fail);
    return answer;
  };

  res.write = function (this: ServerResponse, ...args: unknown[]) {
    return hold(original.write, args, true);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    return hold(original.end, args, this);
  } as ServerResponse['end'];
}
