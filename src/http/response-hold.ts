import type { ServerResponse } from 'node:http';
import { failureResponseOf } from '../core/errors.js';
import type { SessionLogger } from '../core/session-logger.js';
import { coreOf, type SessionManager } from '../core/session-manager.js';
import { graphqlFailureBody, graphqlFailureContentType } from './graphql-failure.js';
import { isGraphqlRequest } from './graphql-request.js';

type Call = (this: ServerResponse, ...args: unknown[]) => unknown;

const INSTALLED = Symbol('nest-aura-session.hold-installed');

// Beside the response rather than on it: Express swaps the prototype of every response, and V8
// builds a new hidden class for every property added after a prototype swap, so no two responses
// share one. A property added here would cost one more on every request, and a property looked
// up on a response always misses V8's caches.
const holds = new WeakMap<ServerResponse, ResponseHold>();

/**
 * Makes the `write()` and `end()` of an Express app's responses wait for the commit of a used
 * session. Installed once at startup on the app's own response prototype (`app.response`, which
 * Express gives every response of that app), so a request that never uses its session only pays
 * one `WeakMap` lookup, and no response object is reshaped per request.
 */
export function installResponseHold(appResponse: object): void {
  const proto = appResponse as ServerResponse & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const write = proto.write as Call;
  const end = proto.end as Call;
  proto.write = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    return hold ? hold.call(write, args, true, end) : write.apply(this, args);
  } as ServerResponse['write'];
  proto.end = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    return hold ? hold.call(end, args, this, end) : end.apply(this, args);
  } as ServerResponse['end'];
}

/**
 * Holds `res` until the session is committed, so the store write lands and Set-Cookie goes out
 * before the client sees anything, whatever sends it: a returned value, `@Redirect`, an exception
 * filter, `res.redirect()` in the handler, a `StreamableFile` (whose first `write()` would send
 * the headers). Called when a request first uses its session. With `installed`, the app's
 * response prototype consults the hold; else (a response that did not come through an app the
 * module hooked) the response's own `write()` and `end()` are wrapped. A failed commit replaces
 * the response with the HTTP error (503, 413), or with a GraphQL error for a GraphQL request.
 * `release` runs once the response has ended, to drop what links the request to its session.
 */
export function holdResponseUntilCommitted(
  request: object,
  res: ServerResponse,
  session: SessionManager,
  logger: SessionLogger,
  installed: boolean,
  release: () => void,
): void {
  const hold = new ResponseHold(request, res, session, logger, release);
  holds.set(res, hold);
  if (installed) return;
  const write = res.write as Call;
  const end = res.end as Call;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    return hold.call(write, args, true, end);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    return hold.call(end, args, this, end);
  } as ServerResponse['end'];
}

/** The state of one held response: the calls waiting for the commit, or the error sent instead. */
class ResponseHold {
  // Calls made while the commit runs, replayed in order once it is done.
  private held: Array<[Call, unknown[]]> | undefined;
  // After a failed commit the response is the error: the handler's own output is dropped.
  private replaced = false;

  /** `release` runs once the response has ended. */
  constructor(
    private readonly request: object,
    private readonly res: ServerResponse,
    private readonly session: SessionManager,
    private readonly logger: SessionLogger,
    private readonly release: () => void,
  ) {}

  /**
   * Runs `method` now, or once the session is committed; `answer` is what the caller gets, `end`
   * the response's own `end()`, which sends the error if the commit fails.
   */
  call(method: Call, args: unknown[], answer: unknown, end: Call): unknown {
    const { res } = this;
    if (this.replaced) return answer;
    if (this.held) {
      this.held.push([method, args]);
      return answer;
    }
    // Read once: every property of an Express response is a slow lookup (see `holds`).
    if (res.headersSent) return this.apply(method, args, end);
    const core = coreOf(this.session);
    core.beforeResponse();
    if (!core.needsCommit()) return this.apply(method, args, end);
    this.held = [[method, args]];
    let pending: Promise<void> | undefined;
    try {
      pending = core.commitForResponse();
    } catch (error) {
      this.fail(error, end);
      return answer;
    }
    // Committed already (a synchronous store): the response goes on without waiting.
    if (!pending) {
      this.replay(end);
      return answer;
    }
    pending.then(
      () => this.replay(end),
      (error: unknown) => this.fail(error, end),
    );
    return answer;
  }

  /**
   * Once the response has ended, nothing may keep its session reachable from the request or the
   * response: Express requests tend to outlive a young-generation collection, and whatever hangs
   * from them would be copied and promoted with them.
   */
  private apply(method: Call, args: unknown[], end: Call): unknown {
    const result = method.apply(this.res, args);
    if (method === end) {
      holds.delete(this.res);
      this.release();
    }
    return result;
  }

  private replay(end: Call): void {
    const calls = this.held!;
    this.held = undefined;
    for (const [method, args] of calls) this.apply(method, args, end);
  }

  private fail(error: unknown, end: Call): void {
    const { res, logger } = this;
    const failure = failureResponseOf(error);
    if (!failure || res.headersSent) {
      logger.warn(`Session not saved before the response: ${String(error)}`);
      return this.replay(end);
    }
    logger.warn((error as Error).message);
    this.held = undefined;
    this.replaced = true;
    res.removeHeader('location');
    res.removeHeader('content-length');
    // Express tagged the handler's body: the tag must not vouch for the error.
    res.removeHeader('etag');
    if (isGraphqlRequest(this.request)) {
      res.statusCode = 200;
      res.setHeader('content-type', graphqlFailureContentType(res.getHeader('content-type')));
      end.call(res, graphqlFailureBody(failure));
      return;
    }
    res.statusCode = failure.statusCode;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    end.call(res, JSON.stringify(failure));
  }
}
