/**
 * The session store failed or did not answer within `storeTimeout`. The HTTP layer turns it
 * into 503: treating it as "no session" would silently log the user out.
 */
export class SessionStoreUnavailableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`Session store unavailable: ${operation} failed (${describe(cause)})`, { cause });
    this.name = 'SessionStoreUnavailableError';
  }
}

/**
 * A write needs a session, but there is none and none can be started here: a WebSocket message
 * cannot deliver a new session cookie, so its socket must carry a live session from the handshake.
 */
export class SessionUnavailableError extends Error {
  constructor() {
    super('No live session: this connection cannot start one (sign in over HTTP first)');
    this.name = 'SessionUnavailableError';
  }
}

/** A write would make the serialized session larger than `maxSize`. */
export class SessionTooLargeError extends RangeError {
  constructor(
    readonly segment: string,
    readonly size: number,
    readonly maxSize: number,
  ) {
    super(
      `Session too large: writing to segment "${segment}" would make the session ${size} bytes, over maxSize ${maxSize}`,
    );
    this.name = 'SessionTooLargeError';
  }
}

/** A module option is invalid; raised at startup. */
export class SessionOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`SessionModule option "${option}" ${problem}`);
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

/** The response for a session failure, or `undefined` when `error` is not one. */
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
      message: error.message,
      reason: 'session_too_large',
    };
  }
  return undefined;
}
