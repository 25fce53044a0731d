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
