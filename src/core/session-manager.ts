import type { CookieParams } from './cookie-params.js';
import { newCsrfToken, type CsrfToken } from './csrf-token.js';
import type { HttpExchange } from './http-exchange.js';
import { SessionSegment, type Segment } from './segment.js';
import { SessionCore } from './session-core.js';
import type { SessionRuntime } from './session-runtime.js';

// Set by the class's static block. `create` calls the constructor, which the published typings
// declare private, so no code outside the library can call it. `readCore` reads the manager's
// private state without showing it in the typings; a WeakMap would do the same at a cost per
// request, in time and in GC work.
let create: (runtime: SessionRuntime, exchange: HttpExchange) => SessionManager;
let readCore: (manager: SessionManager) => SessionCore;

/** A request's (or WebSocket message's) session, for the library's HTTP and Nest glue. */
export function newSessionManager(runtime: SessionRuntime, exchange: HttpExchange): SessionManager {
  return create(runtime, exchange);
}

/** The internal state behind `manager`, for the library's own HTTP and Nest glue. */
export function coreOf(manager: SessionManager): SessionCore {
  return readCore(manager);
}

/**
 * The session of one request (Aura's `Manager`). Nothing touches the store until a segment is
 * read or written (lazy start); a read never creates a session; the first write does.
 * Get it by injection (request-scoped) or, without making the caller request-scoped, with the
 * `@Session()` parameter decorator: both hand out the same object for a request.
 */
export class SessionManager {
  readonly #core: SessionCore;
  // A request almost always uses one segment: the first is held as is, a map only from the second.
  #first: SessionSegment<object> | undefined;
  #others: Map<string, SessionSegment<object>> | undefined;

  static {
    create = (runtime, exchange) => new SessionManager(runtime, exchange);
    readCore = (manager) => manager.#core;
  }

  /** Created per request (or WebSocket message) by the library's glue. */
  private constructor(runtime: SessionRuntime, exchange: HttpExchange) {
    this.#core = new SessionCore(runtime, exchange);
  }

  /**
   * The segment called `name`: the same data wherever the same name is used. Touches nothing (no
   * store call, no session started).
   * @throws TypeError when `name` is not a string.
   */
  newSegment<T extends object = Record<string, unknown>>(name: string): Segment<T> {
    if (typeof name !== 'string') throw new TypeError('Segment name must be a string');
    const first = this.#first;
    if (first === undefined) {
      this.#first = new SessionSegment(name, this.#core);
      return this.#first as Segment<T>;
    }
    if (first.name === name) return first as Segment<T>;
    let segment = this.#others?.get(name);
    if (!segment) {
      segment = new SessionSegment(name, this.#core);
      (this.#others ??= new Map()).set(name, segment);
    }
    return segment as Segment<T>;
  }

  /** Whether the request carried a well-formed session cookie. Makes no store call. */
  isResumable(): boolean {
    return this.#core.isResumable();
  }

  /** Whether a session is active in this request (resumed or started). */
  isStarted(): boolean {
    return this.#core.isStarted();
  }

  /**
   * Resumes the request's session, or starts a new one when there is none to resume.
   * @throws SessionUnavailableError where no session can be started (a WebSocket message whose
   * handshake carried no live session).
   */
  start(): Promise<void> {
    return this.#core.start();
  }

  /** Resumes the request's session; `false` when there is none (absent, expired, unknown id). */
  async resume(): Promise<boolean> {
    return this.#core.resume();
  }

  /**
   * Saves this request's changes now (like `session_write_close`), replayed onto the latest
   * stored state, and puts the cookie on the response if it has to change. Later changes are
   * saved by a later commit. Called for you before the response goes out, `@Res()` included;
   * call it yourself before streaming a response (once the headers are out, no cookie can follow),
   * or to handle a `SessionStoreUnavailableError` or `SessionTooLargeError` in your own `try`.
   */
  commit(): Promise<void> {
    return this.#core.commit();
  }

  /**
   * Empties every segment (the flash values of `setFlashNow()` too); the session stays active with
   * the same id and CSRF secret.
   */
  clear(): Promise<void> {
    this.#forgetFlashNow();
    return this.#core.clear();
  }

  /**
   * Deletes the stored session and expires the cookie, and forgets the values of
   * `setFlashNow()`. A later write starts a new session. A request without a session cookie has
   * nothing to destroy: no store call, no Set-Cookie (unless a `commit()` earlier in the request
   * stored a new session: the cookie it sent is expired).
   */
  destroy(): Promise<void> {
    this.#forgetFlashNow();
    return this.#core.destroy();
  }

  // Values of setFlashNow() live in the segments, not in the session: ending or emptying the
  // session must reach them there.
  #forgetFlashNow(): void {
    this.#first?.forgetFlashNow();
    if (this.#others) for (const segment of this.#others.values()) segment.forgetFlashNow();
  }

  /**
   * Gives the session a new id, keeping its data (and its absolute-timeout start); the old id
   * stops working. Also regenerates the CSRF secret. Starts a session when there is none. Call it
   * on every change of privilege.
   * @throws SessionUnavailableError in a WebSocket message, where the new id could not reach the
   * browser.
   */
  regenerateId(): Promise<void> {
    return this.#core.regenerateId();
  }

  /**
   * Binds the session to the user `userId` (call it after login, next to `regenerateId()`), so it
   * shows in `SessionRegistry.list(userId)` and can be signed out from another device. Starts a
   * session when there is none. The binding survives `regenerateId()` and `clear()`; `destroy()`
   * ends it. Binding to another user moves the session to that user's list.
   *
   * @param userId - A non-empty, well-formed string of at most 256 UTF-16 code units; anything else
   *   throws a `TypeError`. Stored as given in the session, and hashed in the key of the user's
   *   list.
   * @throws `SessionTooLargeError` (segment `(user binding)`) when the binding would grow the
   *   session past `maxSize`; the session is left unbound.
   */
  bindUser(userId: string): Promise<void> {
    return this.#core.bindUser(userId);
  }

  /** The user the session is bound to; `undefined` when none is (or there is no session). */
  getUserId(): Promise<string | undefined> {
    return this.#core.getUserId();
  }

  /** The session's CSRF token. Starts a session (the secret lives in it) when there is none. */
  async getCsrfToken(): Promise<CsrfToken> {
    const core = this.#core;
    await core.csrfSecret();
    return newCsrfToken(core.randval, {
      current: () => core.currentCsrfSecret(),
      regenerate: () => core.regenerateCsrfSecret(),
    });
  }

  /**
   * Whether `value` is a valid CSRF token of this request's session. Never starts a session;
   * `false` when there is none, it has no token yet, or `value` is malformed.
   */
  async isCsrfTokenValid(value: unknown): Promise<boolean> {
    if (!(await this.#core.resume()) || !this.#core.currentCsrfSecret()) return false;
    return (await this.getCsrfToken()).isValid(value);
  }

  /** The session id, once the session is resumed or started; `undefined` before. */
  getId(): string | undefined {
    return this.#core.getId();
  }

  /** The session cookie's name. */
  getName(): string {
    return this.#core.cookie.name;
  }

  /** This request's session cookie attributes. */
  getCookieParams(): CookieParams {
    return this.#core.cookie.getParams();
  }

  /**
   * Changes the cookie attributes for this request's response (for example a long `maxAge` for
   * "remember me"); the cookie is sent again with them once the request has read, written or
   * started its session. Checked at the call: an invalid attribute throws a `SessionOptionsError`
   * naming it.
   */
  setCookieParams(params: Partial<CookieParams>): void {
    this.#core.cookie.setParams(params);
    this.#core.cookieParamsChanged();
  }
}
