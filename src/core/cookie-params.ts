import { SessionOptionsError } from './errors.js';

/** Attributes of the session cookie (all but its name). */
export interface CookieParams {
  /** Default `/`. */
  path: string;
  /** Default: none (host-only cookie). */
  domain?: string;
  /** `'auto'` (default): Secure when the request arrived over HTTPS as the adapter reports it. */
  secure: boolean | 'auto';
  /** Default `true`. */
  httpOnly: boolean;
  /** Default `'lax'`. */
  sameSite: 'lax' | 'strict' | 'none';
  /** Lifetime in milliseconds; absent (default) makes a browser-session cookie. */
  maxAge?: number;
  /** Adds the `Partitioned` attribute (CHIPS). */
  partitioned?: boolean;
}

export const DEFAULT_COOKIE_PARAMS: CookieParams = {
  path: '/',
  secure: 'auto',
  httpOnly: true,
  sameSite: 'lax',
};

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Throws a {@link SessionOptionsError} naming the option when `params` cannot work. */
export function validateCookieParams(name: string, params: CookieParams, option = 'cookie'): void {
  if (!COOKIE_NAME.test(name)) {
    throw new SessionOptionsError(`${option}.name`, `must be a valid cookie name, got "${name}"`);
  }
  if (typeof params.path !== 'string' || !params.path.startsWith('/')) {
    throw new SessionOptionsError(`${option}.path`, 'must be a string starting with "/"');
  }
  if (params.domain !== undefined && (typeof params.domain !== 'string' || !params.domain)) {
    throw new SessionOptionsError(`${option}.domain`, 'must be a non-empty string');
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
    (typeof params.maxAge !== 'number' || !Number.isFinite(params.maxAge) || params.maxAge <= 0)
  ) {
    throw new SessionOptionsError(`${option}.maxAge`, 'must be a positive number of milliseconds');
  }
  if (params.sameSite === 'none' && params.secure === false) {
    throw new SessionOptionsError(`${option}.sameSite`, "'none' needs secure: true or 'auto'");
  }
  if (params.partitioned && params.secure === false) {
    throw new SessionOptionsError(`${option}.partitioned`, "needs secure: true or 'auto'");
  }
  // Browsers silently drop prefixed cookies that break their rules; fail loudly instead.
  if (name.startsWith('__Secure-') && params.secure !== true) {
    throw new SessionOptionsError(`${option}.name`, `"${name}" needs secure: true`);
  }
  if (name.startsWith('__Host-')) {
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
