// 32 bytes in base64url without padding are always 43 characters.
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** True when `value` has the shape of an id this library issues (by the pattern alone). */
export function hasSessionIdShape(value: string): boolean {
  return SESSION_ID_SHAPE.test(value);
}
