import { coreOf, SessionManager } from './session-manager.js';
import type { SessionRuntime } from './session-runtime.js';
import { assertUserId, isWellFormedHandle, listSessions, revokeSessions } from './user-index.js';

// Set by the class's static block, so that the published typings show the constructor as
// private: no code outside the library can call it.
let create: (runtime: SessionRuntime) => SessionRegistry;

/** The app's one registry of users' sessions, for `SessionModule`. */
export function newSessionRegistry(runtime: SessionRuntime): SessionRegistry {
  return create(runtime);
}

/** One of a user's live sessions, as {@link SessionRegistry.list} shows it to its owner. */
export interface UserSession {
  /**
   * Names the session to its owner, for {@link SessionRegistry.revoke}. Random, drawn when the
   * session was bound: neither the session id nor its store key, and no way to either, so it is
   * safe to put in a page.
   */
  handle: string;
  /** When the session was created (its login, or the first request before it). */
  createdAt: Date;
  /**
   * When the session was last written or touched. A session that is only read is touched at most
   * once per `touchAfter`, so this can lag its latest request by up to that much.
   */
  lastSeenAt: Date;
  /** The `User-Agent` of the request that bound the session, if it sent one. */
  userAgent?: string;
  /** Whether this is the session given as `current` (the session of the request that asked). */
  current: boolean;
}

/** Options of {@link SessionRegistry.list}. */
export interface ListUserSessionsOptions {
  /** The asking request's session: its entry gets `current: true`. */
  current?: SessionManager;
}

/** Options of {@link SessionRegistry.revokeAll}. */
export interface RevokeAllOptions {
  /** A session to keep, typically the asking request's own ("sign out everywhere else"). */
  except?: SessionManager;
}

/**
 * A user's sessions across every app instance that shares the store: list them, sign one out,
 * sign out all the others. Only sessions bound with `SessionManager.bindUser()` are known here.
 * Inject it anywhere (a singleton: it holds no request state).
 *
 * Signing out is final on every instance: the session's next request reads no session and gets
 * its cookie expired, and a write racing the revocation cannot bring it back. Each method waits
 * for the store at most `storeTimeout` in all, and throws `SessionStoreUnavailableError` past it.
 */
export class SessionRegistry {
  readonly #runtime: SessionRuntime;

  static {
    create = (runtime) => new SessionRegistry(runtime);
  }

  /** Created once per app by `SessionModule`. */
  private constructor(runtime: SessionRuntime) {
    this.#runtime = runtime;
  }

  /**
   * The live sessions of `userId`, most recently seen first. Sessions that expired, were destroyed
   * or revoked are not listed, and leave the user's index on the way.
   *
   * @throws TypeError when `userId` is not a non-empty, well-formed string of at most 256
   *   characters, or `current` is not a `SessionManager`.
   */
  async list(userId: string, options: ListUserSessionsOptions = {}): Promise<UserSession[]> {
    assertUserId(userId);
    const currentHandle = await this.#handleOf(userId, options.current, 'current');
    const sessions = await listSessions(this.#runtime, userId, this.#deadline());
    return sessions.map((session) => {
      const listed: UserSession = {
        handle: session.handle,
        createdAt: new Date(session.createdAt),
        lastSeenAt: new Date(session.lastSeen),
        current: session.handle === currentHandle,
      };
      if (session.userAgent !== undefined) listed.userAgent = session.userAgent;
      return listed;
    });
  }

  /**
   * Signs out the session `handle` of `userId`. `false` when the user has no live session with
   * that handle (unknown, malformed, not a string, already gone): nothing is changed then. A
   * handle usually comes from a form, so anything a client sends is a plain `false`.
   *
   * @throws TypeError when `userId` is not a non-empty, well-formed string of at most 256
   *   characters.
   */
  async revoke(userId: string, handle: string): Promise<boolean> {
    assertUserId(userId);
    if (typeof handle !== 'string' || !isWellFormedHandle(handle)) return false;
    const revoked = await revokeSessions(
      this.#runtime,
      userId,
      (entries) => (entries.has(handle) ? [handle] : []),
      this.#deadline(),
    );
    return revoked.has(handle);
  }

  /**
   * Signs out every session of `userId`, except `options.except`. After a password change:
   * `regenerateId()`, then `revokeAll(user, { except: session })`. Returns how many sessions
   * were signed out.
   *
   * @throws TypeError when `userId` is not a non-empty, well-formed string of at most 256
   *   characters, or `except` is not a `SessionManager`.
   */
  async revokeAll(userId: string, options: RevokeAllOptions = {}): Promise<number> {
    assertUserId(userId);
    const kept = await this.#handleOf(userId, options.except, 'except');
    const revoked = await revokeSessions(
      this.#runtime,
      userId,
      (entries) => [...entries.keys()].filter((handle) => handle !== kept),
      this.#deadline(),
    );
    return revoked.size;
  }

  /** The handle of `manager`'s session in `userId`'s list, if it is bound to that user. */
  async #handleOf(
    userId: string,
    manager: SessionManager | undefined,
    option: string,
  ): Promise<string | undefined> {
    if (manager === undefined) return undefined;
    if (!(manager instanceof SessionManager)) {
      throw new TypeError(`${option} must be the SessionManager of a request`);
    }
    return coreOf(manager).handleFor(userId);
  }

  #deadline(): number {
    return Date.now() + this.#runtime.config.storeTimeout;
  }
}
