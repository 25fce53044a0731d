import { parse, serialize } from 'cookie';
import type { CookieParams } from './cookie-params.js';
import { isWellFormedSessionId } from './session-id.js';

// Browsers keep a cookie at most 400 days, whatever Max-Age says.
const MAX_AGE_CAP_SECONDS = 400 * 24 * 60 * 60;

/**
 * The session id carried by a `Cookie` header, or `undefined` when it is absent or malformed.
 * Two cookies of the same name are ambiguous (a cookie-tossing attack from a sibling domain
 * can plant one), so they count as absent too.
 */
export function readSessionId(header: string | undefined, name: string): string | undefined {
  // No cap on the header's length: the server's own header limit bounds it, and an app that raised
  // it for large cookies would otherwise see no session, and replace its cookie on the next write.
  if (!header) return undefined;
  const first = header.indexOf(name);
  if (first === -1) return undefined;
  // Two cookies of that name need the name twice in the header: only then is the split worth it.
  if (header.includes(name, first + name.length)) {
    let count = 0;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name && ++count > 1) return undefined;
    }
    if (count === 0) return undefined;
  }
  const plain = plainValueAt(header, first, name);
  if (plain !== undefined && isWellFormedSessionId(plain)) return plain;
  const value = parse(header)[name];
  return value !== undefined && isWellFormedSessionId(value) ? value : undefined;
}

/**
 * The value of the cookie named `name` at `start`, if it is written there plainly: `name=value`
 * at the start of the header or after `;` (and one space), the value running to the next `;`.
 * A well-formed id written that way is what the cookie parser would read too (no quotes, no
 * percent-encoding, no spaces), without splitting and decoding every other cookie of the header,
 * of which browsers send many. Anything else is left to the parser.
 */
function plainValueAt(header: string, start: number, name: string): string | undefined {
  const before = start === 0 ? SEMICOLON : header.charCodeAt(start - 1);
  const boundary =
    before === SEMICOLON ||
    (before === SPACE && (start === 1 || header.charCodeAt(start - 2) === SEMICOLON));
  const valueStart = start + name.length + 1;
  if (!boundary || header.charCodeAt(valueStart - 1) !== EQUALS) return undefined;
  const end = header.indexOf(';', valueStart);
  return header.slice(valueStart, end === -1 ? header.length : end);
}

const SEMICOLON = 0x3b;
const SPACE = 0x20;
const EQUALS = 0x3d;

/**
 * The `Set-Cookie` header that hands `id` to the browser. `Max-Age` is `maxAge` in whole
 * seconds, rounded down and capped at 400 days.
 */
export function sessionCookieHeader(
  name: string,
  id: string,
  params: CookieParams,
  secure: boolean,
): string {
  return serialize(name, id, {
    path: params.path,
    domain: params.domain,
    secure,
    httpOnly: params.httpOnly,
    sameSite: params.sameSite,
    maxAge:
      params.maxAge === undefined
        ? undefined
        : Math.min(Math.floor(params.maxAge / 1000), MAX_AGE_CAP_SECONDS),
    partitioned: params.partitioned,
  });
}

/** The `Set-Cookie` header that makes the browser drop the session cookie. */
export function expiredCookieHeader(name: string, params: CookieParams, secure: boolean): string {
  return serialize(name, '', {
    path: params.path,
    domain: params.domain,
    secure,
    httpOnly: params.httpOnly,
    sameSite: params.sameSite,
    maxAge: 0,
    expires: new Date(0),
    partitioned: params.partitioned,
  });
}
