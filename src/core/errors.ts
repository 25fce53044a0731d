import { quoted } from './log-text.js';

/** The stable `code` of each {@link SessionError}; match on it rather than on class names or messages. */
export type SessionErrorCode =
  | 'SESSION_STORE_UNAVAILABLE'
  | 'SESSION_UNAVAILABLE'
  | 'SESSION_TOO_LARGE'
  | 'SESSION_OPTIONS_INVALID';

/**
 * Base class of the errors this library throws on purpose. `code` stays the same across
 * releases, while messages may be reworded: branch on `error.code` (or `instanceof` a subclass).
 */
export class SessionError extends Error {
  constructor(
    /** What went wrong, as a stable identifier. */
    readonly code: SessionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SessionError';
  }
}

/**
 * The session store failed or did not answer within `storeTimeout`. The HTTP layer turns it
 * into 503: treating it as "no session" would silently log the user out.
 */
export class SessionStoreUnavailableError extends SessionError {
  constructor(operation: string, cause: unknown) {
    super(
      'SESSION_STORE_UNAVAILABLE',
      `Session store unavailable: ${operation} failed (${describe(cause)})`,
      { cause },
    );
    this.name = 'SessionStoreUnavailableError';
  }
}

/**
 * A write needs a session, but there is none and none can be started here: a WebSocket message
 * cannot deliver a new session cookie, so its socket must carry a live session from the handshake.
 */
export class SessionUnavailableError extends SessionError {
  constructor() {
    super(
      'SESSION_UNAVAILABLE',
      'No live session: this connection cannot start one (sign in over HTTP first)',
    );
    this.name = 'SessionUnavailableError';
  }
}

/**
 * A write would make the serialized session larger than `maxSize`; the write is undone. Its
 * message names the segment and the sizes for the log; the 413 a client gets names neither.
 *
 * The built-in memory store throws it too, with the segment `(memory store)`, for a record it
 * cannot hold within `memoryStoreMaxBytes` (a user's index of sessions, or a merge of concurrent
 * writes): nothing of that commit is stored.
 */
export class SessionTooLargeError extends SessionError {
  constructor(
    /** The segment whose write was refused. */
    readonly segment: string,
    /** The size in bytes the serialized session would have had. */
    readonly size: number,
    /** The `maxSize` option in force; `memoryStoreMaxBytes` when the memory store refused. */
    readonly maxSize: number,
    /** Replaces the message, for a refusal that is not a write to one segment. */
    message = `Session too large: writing to segment ${quoted(segment)} would make the session ${size} bytes, over maxSize ${maxSize}`,
  ) {
    super('SESSION_TOO_LARGE', message);
    this.name = 'SessionTooLargeError';
  }
}

/** A module option (or a `setCookieParams()` argument) is invalid; raised at startup or at the call. */
export class SessionOptionsError extends SessionError {
  constructor(option: string, problem: string) {
    super('SESSION_OPTIONS_INVALID', `SessionModule option "${option}" ${problem}`);
    this.name = 'SessionOptionsError';
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message || cause.name : String(cause);
}

/** The JSON body (and status) a client gets for a session failure. */
export interface SessionFailureResponse {
  statusCode: number;
  error: string;
  message: string;
  reason: 'session_store_unavailable' | 'session_too_large';
}

/**
 * The response for a session failure, or `undefined` when `error` is not one. The body is
 * generic on purpose: segment names, sizes and store errors belong in the log, not in front of
 * a client.
 */
export function failureResponseOf(error: unknown): SessionFailureResponse | undefined {
  if (error instanceof SessionStoreUnavailableError) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The session store is unavailable; please retry shortly',
      reason: 'session_store_unavailable',
    };
  }
  if (error instanceof SessionTooLargeError) {
    return {
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'The session would exceed its size limit; the change was not saved',
      reason: 'session_too_large',
    };
  }
  return undefined;
}
