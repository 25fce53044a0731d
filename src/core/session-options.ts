import type { Cache } from 'cache-manager';
import {
  COOKIE_ATTRIBUTES,
  DEFAULT_COOKIE_PARAMS,
  validateCookieParams,
  type CookieParams,
} from './cookie-params.js';
import { SessionOptionsError } from './errors.js';
import { Randval, type RandvalInterface } from './randval.js';
import { serializeRecord } from './session-record.js';

/** CSRF protection settings: the `csrf` option of `SessionModule.forRoot()`. */
export interface CsrfOptions {
  /**
   * Put `CsrfGuard` on every HTTP route that takes one of `methods` (or `@All()`), in front of the
   * controller's own guards; in an app that imports `GraphQLModule`, register it as a global guard
   * instead, so that it reaches every resolver. With `false`, no guard is attached: apply
   * `CsrfGuard` yourself where it is needed. Default `true`.
   */
  guard?: boolean;
  /** Body field (urlencoded or JSON) that carries the token. Default `'__csrf_value'`. */
  field?: string;
  /** Request header that carries the token. Default `'x-csrf-token'`. */
  header?: string;
  /** Methods the guard checks. Default `['POST', 'PUT', 'PATCH', 'DELETE']`. */
  methods?: string[];
  /** Other origins (`https://app.example.com`) allowed to send unsafe requests. Default `[]`. */
  trustedOrigins?: string[];
}

/** Options of `SessionModule.forRoot()`; every one is optional, durations are milliseconds. */
export interface SessionModuleOptions {
  /** A cache-manager cache (`createCache({ stores })`). Default: a bounded in-memory store. */
  store?: Cache;
  /** Prefix of every store key. Default `'sess:'`. */
  keyPrefix?: string;
  /** The session cookie. Defaults: `sid`, `/`, HttpOnly, SameSite=Lax, Secure `'auto'`. */
  cookie?: Partial<CookieParams> & {
    /** The cookie's name. Default `'sid'`; `__Host-` and `__Secure-` names are checked against their rules. */
    name?: string;
  };
  /** A session unused this long is gone. Default 30 minutes; at most 100 years. */
  idleTimeout?: number;
  /** A session older than this is gone, however active. Default: off; at most 100 years. */
  absoluteTimeout?: number;
  /**
   * A read-only session's expiry is pushed at most once per this period, in ms. Default
   * `Math.floor(idleTimeout / 10)`; at least 0 (0: every read pushes it) and less than
   * `idleTimeout`.
   */
  touchAfter?: number;
  /**
   * Longest a request waits for the store in all (every call, retries and queueing included)
   * before it answers 503. Default 2 000; at most 2 147 483 647, Node's longest timer.
   */
  storeTimeout?: number;
  /** CSRF protection, or `false` to turn it off. Default: on, with the guard. */
  csrf?: CsrfOptions | false;
  /** Source of random bytes for ids and CSRF secrets. Default {@link Randval}. */
  randval?: RandvalInterface;
  /** Largest serialized session in bytes; a bigger write is refused. Default 65 536. */
  maxSize?: number;
  /** Size cap (number of sessions) of the default in-memory store. Default 100 000. */
  memoryStoreMaxSessions?: number;
  /**
   * Size cap of the default in-memory store in bytes of serialized sessions (the process uses
   * about twice that). At least the largest session, `maxSize` plus 53 bytes for a CSRF secret,
   * and at least 125. Default 134 217 728 (128 MiB).
   */
  memoryStoreMaxBytes?: number;
  /**
   * Keep sessions out of shared caches: a response that carries the session cookie gets
   * `Cache-Control: private, no-store`, one whose handler read the session at least `private`
   * (a `public` is replaced). The CSRF guard's check of a token reads the session too, so it
   * counts. Default `true`.
   */
  cacheControl?: boolean;
  /**
   * Most sessions one user may have at once (see `SessionManager.bindUser()`): binding one more
   * signs out the least recently seen; `1` makes a new login sign out every other device. A
   * positive integer; default: unlimited.
   */
  maxSessionsPerUser?: number;
}

/** @internal {@link CsrfOptions} with every default filled in. */
export interface ResolvedCsrfOptions extends Required<CsrfOptions> {
  /**
   * The nested keys of a bracketed `field` (`form[_token]` is `['form', '_token']`), where a body
   * parser that nests such names (Express's urlencoded parser, like PHP's) puts the token.
   */
  fieldPath: readonly string[] | undefined;
}

// `name[key]…`, each part without brackets: how PHP-style form names nest.
const BRACKETED_FIELD = /^([^[\]]+)((?:\[[^[\]]+\])+)$/;

/** @internal The options the session model works with: validated, defaults applied. */
export interface SessionConfig {
  keyPrefix: string;
  cookieName: string;
  cookie: CookieParams;
  idleTimeout: number;
  absoluteTimeout: number | undefined;
  touchAfter: number;
  storeTimeout: number;
  csrf: ResolvedCsrfOptions | false;
  randval: RandvalInterface;
  maxSize: number;
  memoryStoreMaxSessions: number;
  memoryStoreMaxBytes: number;
  cacheControl: boolean;
  maxSessionsPerUser: number | undefined;
}

const KNOWN_OPTIONS = new Set([
  'store',
  'keyPrefix',
  'cookie',
  'idleTimeout',
  'absoluteTimeout',
  'touchAfter',
  'storeTimeout',
  'csrf',
  'randval',
  'maxSize',
  'memoryStoreMaxSessions',
  'memoryStoreMaxBytes',
  'cacheControl',
  'maxSessionsPerUser',
]);
const KNOWN_CSRF_OPTIONS = new Set(['guard', 'field', 'header', 'methods', 'trustedOrigins']);
const KNOWN_COOKIE_OPTIONS = new Set<string>(['name', ...COOKIE_ATTRIBUTES]);
const MINUTE = 60_000;
// A header or method name: RFC 9110's token.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * An object whose keys are all its own: not an array, and with no prototype but Object's (a
 * `__proto__` key copied by assignment becomes the prototype, and its options would be read
 * through it unchecked).
 */
function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Validates `options` and fills in defaults; throws a {@link SessionOptionsError} naming the option. */
export function resolveSessionConfig(options: SessionModuleOptions = {}): SessionConfig {
  if (!isPlainObject(options)) {
    throw new SessionOptionsError(
      'options',
      'must be a plain object (an object literal; for an instance of a class, pass { ...instance })',
    );
  }
  rejectUnknown(options, KNOWN_OPTIONS, '');
  const keyPrefix = options.keyPrefix === undefined ? 'sess:' : options.keyPrefix;
  if (typeof keyPrefix !== 'string') {
    throw new SessionOptionsError('keyPrefix', 'must be a string');
  }
  const idleTimeout = duration('idleTimeout', options.idleTimeout, 30 * MINUTE, LONGEST_LIFETIME);
  const absoluteTimeout =
    options.absoluteTimeout === undefined
      ? undefined
      : duration('absoluteTimeout', options.absoluteTimeout, 0, LONGEST_LIFETIME);
  const touchAfter =
    options.touchAfter === undefined
      ? Math.floor(idleTimeout / 10)
      : duration('touchAfter', options.touchAfter, 0, LONGEST_LIFETIME, true);
  if (touchAfter >= idleTimeout) {
    throw new SessionOptionsError('touchAfter', `must be less than idleTimeout (${idleTimeout})`);
  }
  // `null` is no default here, as for every other option: it is refused below.
  const randval = options.randval === undefined ? new Randval() : options.randval;
  if (typeof randval?.generate !== 'function') {
    throw new SessionOptionsError('randval', 'must have a generate(): Buffer method');
  }
  if (options.randval !== undefined) checkRandvalOutput(randval);
  const cookieOptions = options.cookie === undefined ? {} : options.cookie;
  if (!isPlainObject(cookieOptions)) {
    throw new SessionOptionsError('cookie', 'must be a plain object (an object literal)');
  }
  rejectUnknown(cookieOptions, KNOWN_COOKIE_OPTIONS, 'cookie.');
  const { name: cookieName = 'sid', ...cookieParams } = cookieOptions;
  const cookie: CookieParams = { ...DEFAULT_COOKIE_PARAMS, ...withoutUndefined(cookieParams) };
  validateCookieParams(cookieName, cookie);
  const maxSize = count('maxSize', options.maxSize, 64 * 1024);
  const memoryStoreMaxBytes = count(
    'memoryStoreMaxBytes',
    options.memoryStoreMaxBytes,
    128 * 1024 * 1024,
  );
  const largest = largestSession(maxSize);
  if (options.store === undefined && memoryStoreMaxBytes < largest) {
    throw new SessionOptionsError(
      'memoryStoreMaxBytes',
      `must be at least ${largest}: the memory store must fit the largest session, maxSize (${maxSize}) and a CSRF secret`,
    );
  }
  return {
    keyPrefix,
    cookieName,
    cookie,
    idleTimeout,
    absoluteTimeout,
    touchAfter,
    storeTimeout: duration('storeTimeout', options.storeTimeout, 2000, LONGEST_TIMER),
    csrf: resolveCsrf(options.csrf),
    randval,
    maxSize,
    memoryStoreMaxSessions: count(
      'memoryStoreMaxSessions',
      options.memoryStoreMaxSessions,
      100_000,
    ),
    cacheControl: flag('cacheControl', options.cacheControl, true),
    memoryStoreMaxBytes,
    maxSessionsPerUser:
      options.maxSessionsPerUser === undefined
        ? undefined
        : count('maxSessionsPerUser', options.maxSessionsPerUser, 0),
  };
}

function resolveCsrf(csrf: CsrfOptions | false | undefined): ResolvedCsrfOptions | false {
  if (csrf === false) return false;
  if (csrf !== undefined && !isPlainObject(csrf)) {
    throw new SessionOptionsError('csrf', 'must be false or a plain object (an object literal)');
  }
  rejectUnknown(csrf ?? {}, KNOWN_CSRF_OPTIONS, 'csrf.');
  const {
    guard = true,
    field = '__csrf_value',
    header = 'x-csrf-token',
    methods = ['POST', 'PUT', 'PATCH', 'DELETE'],
    trustedOrigins = [],
  } = csrf ?? {};
  if (typeof guard !== 'boolean') throw new SessionOptionsError('csrf.guard', 'must be a boolean');
  // Body parsers drop or refuse a `__proto__` field, so no token could ever arrive in one.
  if (typeof field !== 'string' || !field || field === '__proto__') {
    throw new SessionOptionsError('csrf.field', 'must be a non-empty string other than __proto__');
  }
  const fieldPath = fieldPathOf(field);
  if (typeof header !== 'string' || !HTTP_TOKEN.test(header)) {
    throw new SessionOptionsError('csrf.header', 'must be a valid header name');
  }
  if (
    !Array.isArray(methods) ||
    methods.some((m) => typeof m !== 'string' || !HTTP_TOKEN.test(m))
  ) {
    throw new SessionOptionsError('csrf.methods', 'must be an array of HTTP method names');
  }
  const safe = methods.find((m) => ['GET', 'HEAD', 'OPTIONS'].includes(m.toUpperCase()));
  if (safe) {
    throw new SessionOptionsError('csrf.methods', `must not list the safe method ${safe}`);
  }
  if (!Array.isArray(trustedOrigins)) {
    throw new SessionOptionsError('csrf.trustedOrigins', 'must be an array of origins');
  }
  return {
    guard,
    field,
    fieldPath,
    header: header.toLowerCase(),
    methods: methods.map((m) => m.toUpperCase()),
    trustedOrigins: trustedOrigins.map(normalizeOrigin),
  };
}

function fieldPathOf(field: string): readonly string[] | undefined {
  const match = BRACKETED_FIELD.exec(field);
  if (!match) return undefined;
  const path = [match[1]!, ...match[2]!.slice(1, -1).split('][')];
  if (path.includes('__proto__')) {
    throw new SessionOptionsError('csrf.field', 'must not name __proto__ in brackets');
  }
  return path;
}

/** `https://Example.com:443/` becomes `https://example.com`; anything but an origin is an error. */
function normalizeOrigin(origin: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  // Only the scheme, host and port are compared: anything else in an entry (a path, a query,
  // credentials, a `*`, which URL accepts in a host name) would be silently dropped or match nothing.
  if (
    !url ||
    url.origin === 'null' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    (origin as string).includes('*')
  ) {
    throw new SessionOptionsError(
      'csrf.trustedOrigins',
      `must hold origins like "https://app.example.com", got ${JSON.stringify(origin)}`,
    );
  }
  return url.origin;
}

// Epoch ms have 13 digits from 2001 until the year 2286.
const LATEST_TIME = 10 ** 13 - 1;
/** A new session with nothing set: what a session holds at least, whatever `maxSize`. */
const EMPTY_SESSION_BYTES = Buffer.byteLength(
  serializeRecord({ createdAt: LATEST_TIME, lastSeen: LATEST_TIME, segments: new Map() }),
);
/**
 * What a CSRF secret (32 bytes, 43 characters of base64url) adds to a session: its
 * `,"csrf":"…"` member.
 */
const CSRF_SECRET_BYTES =
  Buffer.byteLength(
    serializeRecord({
      createdAt: LATEST_TIME,
      lastSeen: LATEST_TIME,
      segments: new Map(),
      csrf: 'x'.repeat(43),
    }),
  ) - EMPTY_SESSION_BYTES;

/**
 * The largest session a commit can store under `maxSize`: every write that grows a session past
 * `maxSize` is refused, a user binding included, except a new CSRF secret (forms depend on a
 * token), which can take a session that far over. Below the size of an empty session, it is that
 * session and its secret. Only concurrent requests, whose writes each fit but whose merge does
 * not, can make a larger record; the memory store refuses one over its bound with a 413.
 */
function largestSession(maxSize: number): number {
  return Math.max(maxSize, EMPTY_SESSION_BYTES) + CSRF_SECRET_BYTES;
}

// Far beyond any session's life, and small enough that a store can keep twice it as a TTL
// (a user's index of sessions lives twice the idle timeout) and add it to a timestamp.
const LONGEST_LIFETIME = { ms: 100 * 365.25 * 24 * 60 * MINUTE, text: '100 years' };
// Node fires a timer longer than 2^31 - 1 ms at once, which would fail every store call.
const LONGEST_TIMER = { ms: 2 ** 31 - 1, text: 'about 24.8 days, the longest timer Node supports' };

function duration(
  option: string,
  value: unknown,
  fallback: number,
  longest: { ms: number; text: string },
  zeroOk = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroOk && !value)) {
    const least = zeroOk
      ? 'a number of milliseconds, 0 or more'
      : 'a positive number of milliseconds';
    throw new SessionOptionsError(option, `must be ${least}`);
  }
  if (value > longest.ms) {
    throw new SessionOptionsError(option, `must be at most ${longest.ms} ms (${longest.text})`);
  }
  return value;
}

function flag(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new SessionOptionsError(option, 'must be a boolean');
  return value;
}

function count(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new SessionOptionsError(option, 'must be a positive integer');
  }
  return value;
}

/**
 * Draws once from a custom `randval` at startup: one that hands out the wrong bytes would
 * otherwise start the app and fail the first request that starts a session.
 */
function checkRandvalOutput(randval: RandvalInterface): void {
  let sample: unknown;
  try {
    sample = randval.generate();
  } catch (error) {
    throw new SessionOptionsError('randval', `generate() threw: ${(error as Error)?.message}`);
  }
  if (!Buffer.isBuffer(sample) || sample.length !== 32) {
    const got = Buffer.isBuffer(sample) ? `${sample.length} bytes` : typeof sample;
    throw new SessionOptionsError(
      'randval',
      `generate() must return a Buffer of 32 bytes, got ${got}`,
    );
  }
}

function rejectUnknown(options: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new SessionOptionsError(prefix + key, 'is not a known option');
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
