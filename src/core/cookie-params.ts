import { SessionOptionsError } from './errors.js';

/** Attributes of the session cookie (all but its name). */
export interface CookieParams {
  /**
   * Default `/`. Starts with `/` and holds printable ASCII only, without `;` or `<`
   * (percent-encode anything else).
   */
  path: string;
  /** Default: none (host-only cookie). A host name: letters, digits, `-` and `.`. */
  domain?: string;
  /**
   * `'auto'` (default): Secure when the request arrived over HTTPS as the adapter reports it, and
   * always with `sameSite: 'none'` or `partitioned`, which browsers drop without it.
   */
  secure: boolean | 'auto';
  /** Default `true`. */
  httpOnly: boolean;
  /** Default `'lax'`; `'none'` needs `secure` `true` or `'auto'`. */
  sameSite: 'lax' | 'strict' | 'none';
  /**
   * Lifetime in milliseconds; absent (default) makes a browser-session cookie. At least 1000:
   * `Max-Age` counts whole seconds (rounded down), and `Max-Age=0` would delete the cookie.
   * Sent as at most 400 days, the most browsers keep a cookie; a longer value is not an error.
   */
  maxAge?: number;
  /** Adds the `Partitioned` attribute (CHIPS); needs `secure` `true` or `'auto'`. */
  partitioned?: boolean;
}

export const DEFAULT_COOKIE_PARAMS: CookieParams = {
  path: '/',
  secure: 'auto',
  httpOnly: true,
  sameSite: 'lax',
};

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What the cookie serializer accepts, so an attribute that passes here cannot fail at commit.
const PATH_VALUE = /^\/[\u0020-\u003A\u003D-\u007E]*$/;
const DOMAIN_VALUE =
  /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const MIN_MAX_AGE = 1000;
/** The names of the {@link CookieParams} attributes. */
export const COOKIE_ATTRIBUTES: readonly (keyof CookieParams)[] = [
  'path',
  'domain',
  'secure',
  'httpOnly',
  'sameSite',
  'maxAge',
  'partitioned',
];
const ATTRIBUTES = new Set<string>(COOKIE_ATTRIBUTES);

/**
 * Throws a {@link SessionOptionsError} naming the option when `params` cannot work. Runs where
 * the attributes are given (module options, `setCookieParams`), so a bad one never reaches a
 * response. Messages never echo a path or domain: they end up in logs, and may hold CR/LF.
 */
export function validateCookieParams(name: string, params: CookieParams, option = 'cookie'): void {
  if (!COOKIE_NAME.test(name)) {
    throw new SessionOptionsError(`${option}.name`, `must be a valid cookie name, got "${name}"`);
  }
  for (const key of Object.keys(params)) {
    if (!ATTRIBUTES.has(key)) {
      throw new SessionOptionsError(`${option}.${key}`, 'is not a cookie attribute');
    }
  }
  if (typeof params.path !== 'string' || !PATH_VALUE.test(params.path)) {
    throw new SessionOptionsError(
      `${option}.path`,
      'must start with "/" and hold printable ASCII only, without ";" or "<" (percent-encode the rest)',
    );
  }
  if (
    params.domain !== undefined &&
    (typeof params.domain !== 'string' || !DOMAIN_VALUE.test(params.domain))
  ) {
    throw new SessionOptionsError(
      `${option}.domain`,
      'must be a host name like "example.com" (letters, digits, "-" and "." only)',
    );
  }
  if (params.secure !== 'auto' && typeof params.secure !== 'boolean') {
    throw new SessionOptionsError(`${option}.secure`, "must be true, false or 'auto'");
  }
  if (typeof params.httpOnly !== 'boolean') {
    throw new SessionOptionsError(`${option}.httpOnly`, 'must be a boolean');
  }
  if (!['lax', 'strict', 'none'].includes(params.sameSite)) {
    throw new SessionOptionsError(`${option}.sameSite`, "must be 'lax', 'strict' or 'none'");
  }
  if (
    params.maxAge !== undefined &&
    (typeof params.maxAge !== 'number' ||
      !Number.isFinite(params.maxAge) ||
      params.maxAge < MIN_MAX_AGE)
  ) {
    throw new SessionOptionsError(
      `${option}.maxAge`,
      'must be a number of milliseconds of at least 1000 (the cookie counts whole seconds)',
    );
  }
  if (params.sameSite === 'none' && params.secure === false) {
    throw new SessionOptionsError(`${option}.sameSite`, "'none' needs secure: true or 'auto'");
  }
  if (params.partitioned !== undefined && typeof params.partitioned !== 'boolean') {
    throw new SessionOptionsError(`${option}.partitioned`, 'must be a boolean');
  }
  if (params.partitioned && params.secure === false) {
    throw new SessionOptionsError(`${option}.partitioned`, "needs secure: true or 'auto'");
  }
  // Browsers silently drop prefixed cookies that break their rules; fail loudly instead. They
  // match the prefixes in any letter case (RFC 6265bis).
  const lowerName = name.toLowerCase();
  if (lowerName.startsWith('__secure-') && params.secure !== true) {
    throw new SessionOptionsError(`${option}.name`, `"${name}" needs secure: true`);
  }
  if (lowerName.startsWith('__host-')) {
    if (params.secure !== true) {
      throw new SessionOptionsError(`${option}.name`, `"${name}" needs secure: true`);
    }
    if (params.path !== '/') {
      throw new SessionOptionsError(`${option}.name`, `"${name}" needs path: '/'`);
    }
    if (params.domain !== undefined) {
      throw new SessionOptionsError(`${option}.name`, `"${name}" must not have a domain`);
    }
  }
}
