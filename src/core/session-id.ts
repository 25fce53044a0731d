import type { RandvalInterface } from './randval.js';
import { hasSessionIdShape } from './session-id-shape.js';
import { isRememberedSessionId } from './store-key.js';

const SESSION_ID_LENGTH = 43;

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
  // Checked on every request that carries a cookie. An id this process keyed a moment ago was
  // checked then: finding it takes a fraction of the pattern's instructions, and the hash of the
  // id it computes serves the lookup of the id's store key that follows.
  return (
    value.length === SESSION_ID_LENGTH && (isRememberedSessionId(value) || hasSessionIdShape(value))
  );
}
