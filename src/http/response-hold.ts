import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { failureResponseOf } from '../core/errors.js';
import type { SessionLogger } from '../core/session-logger.js';
import { coreOf, type SessionManager } from '../core/session-manager.js';
import { graphqlFailureBody, graphqlFailureContentType } from './graphql-failure.js';
import { isGraphqlRequest } from './graphql-request.js';
import { REPLACED_RESPONSE_HEADERS } from './replaced-response-headers.js';
import { setCookieList } from './set-cookie-list.js';

type Call = (this: ServerResponse, ...args: unknown[]) => unknown;
type HeaderCall = (this: ServerResponse, name: string, value?: unknown) => unknown;

const INSTALLED = Symbol('nest-aura-session.hold-installed');
const INTERNAL_ERROR = JSON.stringify({ statusCode: 500, message: 'Internal server error' });

// Beside the response rather than on it: Express swaps the prototype of every response, and V8
// builds a new hidden class for every property added after a prototype swap, so no two responses
// share one. A property added here would cost one more on every request, and a property looked
// up on a response always misses V8's caches.
const holds = new WeakMap<ServerResponse, ResponseHold>();

// Whether a response has been held without an app's response prototype (see `frameworkAnswers`):
// until then, Fastify's replies need not look for a hold on their raw response.
let rawHoldsMade = false;

// How many holds wait for a commit with their headers unchanged (see `beforeHeaderChange`): while
// none does, which is always on a synchronous store, a header change looks for no hold.
let watchingHolds = 0;

/**
 * Makes the `writeHead()`, `flushHeaders()`, `write()` and `end()` of an Express app's responses
 * wait for the commit of a used session. Installed once at startup on the app's own response
 * prototype (`app.response`, which Express gives every response of that app), so a request that
 * never uses its session only pays one `WeakMap` lookup per call, and no response object is
 * reshaped per request.
 */
export function installResponseHold(appResponse: object): void {
  const proto = appResponse as ServerResponse & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const writeHead = proto.writeHead as Call;
  const flushHeaders = proto.flushHeaders as Call;
  const write = proto.write as Call;
  const end = proto.end as Call;
  proto.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    return hold ? hold.writeHead(writeHead, args, end) : writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  proto.flushHeaders = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    if (hold) hold.call(flushHeaders, args, undefined, end);
    else flushHeaders.apply(this, args);
  };
  proto.write = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    return hold ? hold.call(write, args, true, end) : write.apply(this, args);
  } as ServerResponse['write'];
  proto.end = function (this: ServerResponse, ...args: unknown[]) {
    const hold = holds.get(this);
    return hold ? hold.call(end, args, this, end) : end.apply(this, args);
  } as ServerResponse['end'];
  watchHeaderChanges(proto, (res) => holds.get(res));
}

/**
 * Makes `setHeader()`, `appendHeader()` and `removeHeader()` of `target` (a prototype, or one
 * response) tell the hold of their response before they change a header, so that the hold copies
 * the headers only when something changes them while it waits (see `ResponseHold.replay()`).
 */
function watchHeaderChanges(
  target: ServerResponse,
  holdOf: (res: ServerResponse) => ResponseHold | undefined,
): void {
  for (const method of ['setHeader', 'appendHeader', 'removeHeader'] as const) {
    const original = target[method] as unknown as HeaderCall;
    target[method] = function (this: ServerResponse, name: string, value?: unknown) {
      if (watchingHolds !== 0) holdOf(this)?.beforeHeaderChange();
      return original.call(this, name, value);
    } as never;
  }
}

/** Whether `res` is held for a session's commit already. */
export function isHeld(res: ServerResponse): boolean {
  return holds.has(res);
}

/**
 * Fastify is sending its reply on `res`: the first call the hold sees is Fastify's own, not an
 * answer on the raw response (see `holdResponseUntilCommitted`'s `answeredRaw`).
 */
export function frameworkAnswers(res: ServerResponse): void {
  if (rawHoldsMade) holds.get(res)?.frameworkAnswers();
}

/**
 * Holds `res` until the session is committed, so the store write lands and Set-Cookie goes out
 * before the client sees anything, whatever sends it: a returned value, `@Redirect`, an exception
 * filter, `res.redirect()` or `res.writeHead()` in the handler, `res.flushHeaders()`, a
 * `StreamableFile` (whose first `write()` would send the headers). Called when a request first
 * uses its session. With `installed`, the app's response prototype consults the hold; else (a
 * response that did not come through an app the module hooked) the response's own methods are
 * wrapped. A failed commit replaces the response with the HTTP error (503, 413), or with a
 * GraphQL error for a GraphQL request. `release` runs once the response has ended, to drop what
 * links the request to its session. `answeredRaw` runs at the first call on the response that
 * its framework did not make (see {@link frameworkAnswers}).
 */
export function holdResponseUntilCommitted(
  request: object,
  res: ServerResponse,
  session: SessionManager,
  logger: SessionLogger,
  installed: boolean,
  release: () => void,
  answeredRaw?: () => void,
): void {
  const hold = new ResponseHold(request, res, session, logger, release, answeredRaw);
  holds.set(res, hold);
  if (installed) return;
  rawHoldsMade = true;
  const writeHead = res.writeHead as Call;
  const flushHeaders = res.flushHeaders as Call;
  const write = res.write as Call;
  const end = res.end as Call;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    return hold.writeHead(writeHead, args, end);
  } as ServerResponse['writeHead'];
  res.flushHeaders = function (this: ServerResponse, ...args: unknown[]) {
    hold.call(flushHeaders, args, undefined, end);
  };
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    return hold.call(write, args, true, end);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    return hold.call(end, args, this, end);
  } as ServerResponse['end'];
  watchHeaderChanges(res, () => hold);
}

/** The state of one held response: the calls waiting for the commit, or the error sent instead. */
class ResponseHold {
  // Calls made while the commit runs, replayed in order once it is done.
  private held: Array<[Call, unknown[]]> | undefined;
  // Set by the first call, which sends the headers: from then on only end() looks at the session.
  private headersDecided = false;
  // After a failed commit the response is the error: the handler's own output is dropped.
  private replaced = false;
  // Callbacks of dropped calls, waiting for the error response to finish.
  private dropped: Array<() => void> | undefined;
  // Whether the handler's end() waits for the commit.
  private ended = false;
  // The status as Node would have stored it, at the first call that waits for an asynchronous
  // commit (see `replay()`).
  private status: number | undefined;
  // Whether the headers are Node's to store once the commit is done: the first change to them
  // while it runs copies them into `stored` (see `replay()`).
  private watching = false;
  // The headers as they were before the first change made while the commit ran.
  private stored: OutgoingHttpHeaders | undefined;
  // Whether the framework sends the response itself, rather than the handler on the raw response.
  private framework = false;

  /** `release` runs once the response has ended. */
  constructor(
    private readonly request: object,
    private readonly res: ServerResponse,
    private readonly session: SessionManager,
    private readonly logger: SessionLogger,
    private readonly release: () => void,
    private readonly answeredRaw: (() => void) | undefined,
  ) {}

  frameworkAnswers(): void {
    this.framework = true;
  }

  private watch(on: boolean): void {
    if (this.watching === on) return;
    this.watching = on;
    watchingHolds += on ? 1 : -1;
  }

  /** A header of the response is about to change. */
  beforeHeaderChange(): void {
    if (!this.watching) return;
    this.watch(false);
    this.stored = this.res.getHeaders();
  }

  /**
   * `writeHead()`: its headers argument goes on the response at once, and only the status is
   * held. Node applies that argument with `setHeader()`, so replayed after the commit it would
   * replace the session's `Set-Cookie` and `Cache-Control`; here a `Set-Cookie` in it is added to
   * those already set, and the commit's own headers come after it.
   */
  writeHead(writeHead: Call, args: unknown[], end: Call): unknown {
    const { res } = this;
    if (this.held && !this.ended) {
      // Node stores the headers at the first call of a response (writeHead, write, end,
      // flushHeaders), and `headersSent` is true from then on. Held, that call leaves it false,
      // and code that sets the status whenever it is false calls writeHead() again: compression()
      // before each write() and end(). Node never sees such a call; replayed, it would throw.
      if (args.length <= 1) return res;
      // Any other second writeHead() Node refuses at once, where its caller can catch it.
      throw headersSentError();
    }
    // Node's own end(), write() and flushHeaders() call writeHead() with the status alone.
    if (args.length > 1 && !this.headersDecided && !res.headersSent) {
      args = applyWriteHeadHeaders(res, args);
    }
    return this.call(writeHead, args, res, end);
  }

  /**
   * Runs `method` now, or once the session is committed; `answer` is what the caller gets, `end`
   * the response's own `end()`, which sends the error if the commit fails.
   */
  call(method: Call, args: unknown[], answer: unknown, end: Call): unknown {
    if (this.replaced) {
      this.drop(args);
      return answer;
    }
    if (this.held) {
      // Once end() has run, Node refuses whatever follows (a second answer: Nest answering the
      // return value of a handler that redirected by hand, say) and sends the first as it was.
      // Held, that answer would have its headers changed and its end() replayed twice.
      if (this.ended) {
        this.drop(args);
        return answer;
      }
      if (method === end) this.ended = true;
      this.held.push([method, args]);
      return answer;
    }
    // The writes of a stream, and the writeHead() that Node's own end(), write() and
    // flushHeaders() make (a replayed call among them), go straight through: committing again
    // there would run the commit twice, or queue Node's inner call behind the outer one.
    if (this.headersDecided && method !== end) return this.apply(method, args, end);
    this.headersDecided = true;
    if (!this.framework) this.answeredRaw?.();
    const core = coreOf(this.session);
    // Read once: every property of an Express response is a slow lookup (see `holds`).
    const headersSent = this.res.headersSent;
    if (!headersSent) core.beforeResponse();
    if (!core.needsCommit()) return this.apply(method, args, end);
    // Changed after the headers went out (while streaming, or after headers sent by means the
    // hold does not see): the store still gets the change, though no cookie can go with it.
    if (headersSent) {
      this.logger.warn(
        'Session changed after its response headers were sent: saving it without its cookie',
      );
    }
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
    if (method === end) this.ended = true;
    if (!headersSent) {
      this.status = this.res.statusCode;
      this.watch(true);
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

  /**
   * Runs the held calls in order. Each goes through `call()` again: an `end()` commits what the
   * session gained while the commit ran, and the calls after it are held anew behind that commit.
   */
  private replay(end: Call): void {
    const calls = this.held!;
    this.held = undefined;
    // Node refuses a change to the headers once a response's first call stored them: a second
    // answer (Nest sending the return value of a handler that redirected by hand) or a middleware
    // writing headers after its end() (compression() ends its stream later) made its changes on
    // the held response instead. They are undone here, but the session's own.
    const { res, status, stored } = this;
    this.watch(false);
    this.status = this.stored = undefined;
    if (status !== undefined && res.statusCode !== status) res.statusCode = status;
    if (stored) restoreStoredHeaders(res, stored);
    this.ended = false;
    let next = 0;
    try {
      for (; next < calls.length; next++) {
        const [method, args] = calls[next]!;
        this.call(method, args, undefined, end);
      }
    } catch (error) {
      this.abandon(error, end, calls.slice(next));
    }
  }

  /**
   * A held call that throws once replayed (a second `writeHead()`, a bad status code) would have
   * thrown in the handler, whose caller no longer waits: it and the calls after it (`dropped`)
   * are dropped and the response ends, with a 500 if its headers have not gone out, rather than
   * hang or reject.
   */
  private abandon(error: unknown, end: Call, dropped: Array<[Call, unknown[]]>): void {
    const { res } = this;
    for (const [, args] of dropped) this.drop(args);
    this.logger.warn(`Response failed once the session was committed: ${String(error)}`);
    if (res.headersSent) {
      end.call(res);
    } else {
      this.sendInstead(500, 'application/json; charset=utf-8', INTERNAL_ERROR, end);
    }
    this.replaced = true;
  }

  private fail(error: unknown, end: Call): void {
    const { res, logger } = this;
    const failure = failureResponseOf(error);
    if (!failure || res.headersSent) {
      logger.warn(`Session not saved before the response: ${String(error)}`);
      return this.replay(end);
    }
    logger.warn((error as Error).message);
    for (const [, args] of this.held!) this.drop(args);
    this.held = undefined;
    this.ended = false;
    this.watch(false);
    this.status = this.stored = undefined;
    if (isGraphqlRequest(this.request)) {
      const type = graphqlFailureContentType(res.getHeader('content-type'));
      this.sendInstead(200, type, graphqlFailureBody(failure, this.request), end);
    } else {
      const type = 'application/json; charset=utf-8';
      this.sendInstead(failure.statusCode, type, JSON.stringify(failure), end);
    }
    this.replaced = true;
  }

  /**
   * Sends `body` in place of the handler's response. Node's `end()` calls `writeHead()`, which
   * must pass through: the hold is marked replaced only after this.
   */
  private sendInstead(status: number, contentType: string, body: string, end: Call): void {
    const { res } = this;
    for (const name of REPLACED_RESPONSE_HEADERS) res.removeHeader(name);
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    end.call(res, body);
  }

  /**
   * Runs the callback of a call dropped for the error response (`end(cb)`, `write(chunk, cb)`)
   * once that response has finished, as Node would have run it, so a handler awaiting it goes on;
   * never from within the handler's call.
   */
  private drop(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== 'function') return;
    const callback = last as () => void;
    if (this.dropped) {
      this.dropped.push(callback);
      return;
    }
    const { res } = this;
    if (res.writableFinished || res.destroyed) {
      process.nextTick(callback);
      return;
    }
    const dropped = [callback];
    this.dropped = dropped;
    // A client gone before the error went out gets no 'finish', only a 'close'.
    const run = () => {
      res.off('finish', run);
      res.off('close', run);
      this.dropped = undefined;
      for (const each of dropped) each();
    };
    res.once('finish', run);
    res.once('close', run);
  }
}

/** The error Node's `writeHead()` throws once a response's headers are stored. */
function headersSentError(): Error {
  return Object.assign(new Error('Cannot write headers after they are sent to the client'), {
    code: 'ERR_HTTP_HEADERS_SENT',
  });
}

// Set by the commit after the response's first call: never taken back to what they were before.
const SESSION_HEADERS = ['set-cookie', 'cache-control'];

/** Undoes the changes made to the headers since they were `headers`, but the session's. */
function restoreStoredHeaders(res: ServerResponse, headers: OutgoingHttpHeaders): void {
  for (const name of res.getHeaderNames()) {
    if (!(name in headers) && !SESSION_HEADERS.includes(name)) res.removeHeader(name);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !SESSION_HEADERS.includes(name) && res.getHeader(name) !== value) {
      res.setHeader(name, value);
    }
  }
}

/**
 * Puts the headers argument of `writeHead(status[, statusMessage][, headers])` on `res` the way
 * Node would, except that a `Set-Cookie` in it is added to those already set rather than replacing
 * them; returns the call's arguments without it. Takes the object form and the raw list forms
 * (`[name, value, ...]`, `[[name, value], ...]`); anything else, an odd list among them, is left
 * to Node's `writeHead()`, which refuses it.
 */
function applyWriteHeadHeaders(res: ServerResponse, args: unknown[]): unknown[] {
  const [status, message] = args;
  const withMessage = typeof message === 'string';
  const headers = withMessage ? args[2] : (args[2] ?? message);
  const rest = withMessage ? [status, message] : [status];
  if (headers === undefined || headers === null) return args;
  if (!Array.isArray(headers)) {
    if (typeof headers !== 'object') return args;
    for (const [name, value] of Object.entries(headers)) {
      if (!name) continue;
      if (name.toLowerCase() === 'set-cookie') appendSetCookie(res, name, value);
      else res.setHeader(name, value as string[]);
    }
    return rest;
  }
  const pairs = rawHeaderPairs(headers);
  if (!pairs) return args;
  // A raw list may repeat a name: its values replace the response's, and add up among themselves.
  for (const [name] of pairs) {
    if (typeof name === 'string' && name && name.toLowerCase() !== 'set-cookie') {
      res.removeHeader(name);
    }
  }
  // appendHeader() refuses a name or value Node's writeHead() would refuse, with its error.
  for (const [name, value] of pairs) {
    if (typeof name === 'string' && name.toLowerCase() === 'set-cookie') {
      appendSetCookie(res, name, value);
    } else if (name) {
      res.appendHeader(name as string, value as string[]);
    }
  }
  return rest;
}

/**
 * Adds `Set-Cookie` values to those on `res`, leaving out any it has already: Fastify's
 * `writeHead()` brings its own header list, which holds the session cookie the commit put on the
 * raw response as well. Anything but a string is left to `appendHeader()`, which refuses it.
 */
function appendSetCookie(res: ServerResponse, name: string, value: unknown): void {
  const present = setCookieList(res.getHeader('set-cookie'));
  const isNew = (each: unknown) => typeof each !== 'string' || !present.includes(each);
  const fresh = Array.isArray(value) ? value.filter(isNew) : isNew(value) ? value : [];
  if (Array.isArray(fresh) && fresh.length === 0) return;
  res.appendHeader(name, fresh as string[]);
}

/** The `[name, value]` pairs of a raw header list, or `undefined` for a list Node refuses. */
function rawHeaderPairs(list: unknown[]): Array<[unknown, unknown]> | undefined {
  if (list.length > 0 && list.every((entry) => Array.isArray(entry))) {
    return (list as unknown[][]).map((entry) => [entry[0], entry[1]]);
  }
  if (list.length % 2 !== 0) return undefined;
  const pairs: Array<[unknown, unknown]> = [];
  for (let n = 0; n < list.length; n += 2) pairs.push([list[n], list[n + 1]]);
  return pairs;
}
