import fc from 'fast-check';
import {
  DEFAULT_COOKIE_PARAMS,
  validateCookieParams,
  type CookieParams,
} from '../../src/core/cookie-params.js';
import { sessionCookieHeader } from '../../src/core/cookie.js';
import { SessionOptionsError } from '../../src/core/errors.js';

const ID = 'A'.repeat(43);
const withParams = (params: Partial<CookieParams>): CookieParams => ({
  ...DEFAULT_COOKIE_PARAMS,
  ...params,
});

function refusal(params: Partial<CookieParams>): SessionOptionsError {
  try {
    validateCookieParams('sid', withParams(params), 'setCookieParams');
  } catch (error) {
    return error as SessionOptionsError;
  }
  throw new Error(`accepted ${JSON.stringify(params)}`);
}

describe('validateCookieParams', () => {
  it.each([
    ['a ;', '/app;Domain=evil.example'],
    ['a CR/LF', '/app\r\nSet-Cookie: x=1'],
    ['a LF', '/app\n'],
    ['a NUL', '/app\u0000'],
    ['a tab', '/a\tb'],
    ['a DEL', '/app\u007f'],
    ['a non-ASCII character', '/café'],
    ['no leading /', 'app'],
    ['an empty string', ''],
  ])('refuses a path with %s, naming the attribute and not echoing it', (_, path) => {
    const error = refusal({ path });
    expect(error).toBeInstanceOf(SessionOptionsError);
    expect(error.message).toContain('"setCookieParams.path"');
    if (path) expect(error.message).not.toContain(path);
    expect(error.message).not.toMatch(/[\r\n\u0000]/);
  });

  it.each([
    ['a CR/LF', 'example.com\r\nX-Injected: 1'],
    ['a ;', 'example.com; Secure'],
    ['a space', 'example .com'],
    ['a NUL', 'example.com\u0000'],
    ['a path', 'example.com/app'],
    ['an empty string', ''],
  ])('refuses a domain with %s, naming the attribute and not echoing it', (_, domain) => {
    const error = refusal({ domain });
    expect(error.message).toContain('"setCookieParams.domain"');
    if (domain) expect(error.message).not.toContain(domain);
    expect(error.message).not.toMatch(/[\r\n\u0000]/);
  });

  it.each([[0], [1], [500], [999.9], [-1000], [NaN], [Infinity]])(
    'refuses maxAge %s (it would be sent as Max-Age=0 or not at all)',
    (maxAge) => {
      expect(refusal({ maxAge }).message).toContain('"setCookieParams.maxAge"');
    },
  );

  it.each([
    { path: '/' },
    { path: '/app/v1.2/a-b_c~d%20e' },
    { path: '/a=b:c@d' },
    { domain: 'example.com' },
    { domain: '.example.com' },
    { domain: 'localhost' },
    { domain: 'sub-1.EXAMPLE.org' },
    { domain: '127.0.0.1' },
    { maxAge: 1000 },
    { maxAge: 1e300 },
    { maxAge: Number.MAX_VALUE },
  ])('accepts %j', (params) => {
    expect(() => validateCookieParams('sid', withParams(params), 'setCookieParams')).not.toThrow();
  });

  it.each([['no'], ['false'], [1], [null]])('refuses partitioned %j: only a boolean', (value) => {
    const error = refusal({ partitioned: value as never });
    expect(error.message).toContain('"setCookieParams.partitioned"');
  });

  it('refuses an attribute it does not know, naming it', () => {
    expect(refusal({ foo: 1 } as never).message).toContain('"setCookieParams.foo"');
  });

  it.each([['__host-sid'], ['__HOST-sid'], ['__secure-sid'], ['__SECURE-sid']])(
    'checks the prefix of %s in any letter case, as browsers do',
    (name) => {
      expect(() => validateCookieParams(name, withParams({}))).toThrow(/needs secure: true/);
      expect(() => validateCookieParams(name, withParams({ secure: true }))).not.toThrow();
    },
  );

  it('names the module option when the attributes come from the module options', () => {
    expect(() => validateCookieParams('sid', withParams({ path: '/a;b' }))).toThrow(
      /"cookie\.path"/,
    );
  });

  it('accepts only attributes the Set-Cookie header can be built from', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (path, domain) => {
          const params = withParams({ path: `/${path}`, domain: domain || undefined });
          let valid = true;
          try {
            validateCookieParams('sid', params);
          } catch {
            valid = false;
          }
          if (valid) expect(() => sessionCookieHeader('sid', ID, params, true)).not.toThrow();
        },
      ),
    );
  });
});

describe('sessionCookieHeader Max-Age', () => {
  const maxAgeOf = (maxAge: number) =>
    /; Max-Age=([^;]*)/.exec(sessionCookieHeader('sid', ID, withParams({ maxAge }), true))?.[1];

  it('counts whole seconds, rounded down', () => {
    expect(maxAgeOf(1000)).toBe('1');
    expect(maxAgeOf(1999)).toBe('1');
    expect(maxAgeOf(90_000)).toBe('90');
  });

  it('caps the lifetime at 400 days and never prints an exponent', () => {
    const cap = String(400 * 86_400);
    expect(maxAgeOf(400 * 86_400_000)).toBe(cap);
    expect(maxAgeOf(400 * 86_400_000 + 1000)).toBe(cap);
    expect(maxAgeOf(1e300)).toBe(cap);
    expect(maxAgeOf(Number.MAX_VALUE)).toBe(cap);
  });
});
