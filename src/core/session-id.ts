import type { RandvalInterface } from './randval.js';

// 32 bytes in base64url without padding is always 43 characters.
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 32 random bytes in base64url, 43 characters. */
export function newSessionId(randval: RandvalInterface): string {
  const bytes = randval.generate();
  if (bytes.length !== 32) {
    throw new RangeError(`randval.generate() must return 32 bytes, got ${bytes.length}`);
  }
  return bytes.toString('base64url');
}

/** True when `value` has the exact shape of an id this library issues. */
export function isWellFormedSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}
