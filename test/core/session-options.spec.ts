import { SessionOptionsError } from '../../src/core/errors.js';
import { Randval } from '../../src/core/randval.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../../src/core/session-options.js';

describe('resolveSessionConfig', () => {
  it('fills in every default', () => {
    const config = resolveSessionConfig();
    expect(config).toEqual({
      keyPrefix: 'sess:',
      cookieName: 'sid',
      cookie: { path: '/', secure: 'auto', httpOnly: true, sameSite: 'lax' },
      idleTimeout: 30 * 60_000,
      absoluteTimeout: undefined,
      touchAfter: 3 * 60_000,
      storeTimeout: 2000,
      csrf: {
        guard: true,
        field: '__csrf_value',
        header: 'x-csrf-token',
        methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
        trustedOrigins: [],
      },
      randval: expect.any(Randval),
      maxSize: 65_536,
      memoryStoreMaxSessions: 100_000,
      memoryStoreMaxBytes: 128 * 1024 * 1024,
      cacheControl: true,
    });
    expect(resolveSessionConfig({})).toEqual(config);
  });

  it('keeps given values and derives touchAfter from idleTimeout', () => {
    const config = resolveSessionConfig({
      keyPrefix: 'app:',
      idleTimeout: 10_000,
      absoluteTimeout: 3_600_000,
      storeTimeout: 300,
      maxSize: 1024,
      cookie: { name: 'app_sid', maxAge: 86_400_000, sameSite: 'strict', domain: 'example.com' },
    });
    expect(config.keyPrefix).toBe('app:');
    expect(config.idleTimeout).toBe(10_000);
    expect(config.touchAfter).toBe(1000);
    expect(config.absoluteTimeout).toBe(3_600_000);
    expect(config.storeTimeout).toBe(300);
    expect(config.maxSize).toBe(1024);
    expect(config.cookieName).toBe('app_sid');
    expect(config.cookie).toEqual({
      path: '/',
      secure: 'auto',
      httpOnly: true,
      sameSite: 'strict',
      domain: 'example.com',
      maxAge: 86_400_000,
    });
  });

  it('ignores cookie options given as undefined', () => {
    const config = resolveSessionConfig({ cookie: { path: undefined, maxAge: undefined } });
    expect(config.cookie).toEqual({ path: '/', secure: 'auto', httpOnly: true, sameSite: 'lax' });
  });

  it('accepts touchAfter 0 (touch on every read)', () => {
    expect(resolveSessionConfig({ touchAfter: 0 }).touchAfter).toBe(0);
  });

  it('says which durations may be 0', () => {
    expect(() => resolveSessionConfig({ touchAfter: -1 })).toThrow(
      'SessionModule option "touchAfter" must be a number of milliseconds, 0 or more',
    );
    expect(() => resolveSessionConfig({ idleTimeout: 0 })).toThrow(
      'SessionModule option "idleTimeout" must be a positive number of milliseconds',
    );
  });

  it('reads the nested keys of a bracketed csrf.field', () => {
    const path = (field: string) => {
      const { csrf } = resolveSessionConfig({ csrf: { field } });
      return csrf ? csrf.fieldPath : 'off';
    };
    expect(path('form[_token]')).toEqual(['form', '_token']);
    expect(path('a[b][c]')).toEqual(['a', 'b', 'c']);
    expect(path('_token')).toBeUndefined();
    expect(path('a[]')).toBeUndefined();
  });

  it('turns CSRF off with false', () => {
    expect(resolveSessionConfig({ csrf: false }).csrf).toBe(false);
  });

  it('normalizes CSRF methods, header and trusted origins', () => {
    const csrf = resolveSessionConfig({
      csrf: {
        methods: ['post', 'Delete'],
        header: 'X-XSRF-Token',
        trustedOrigins: ['https://App.Example.com:443/', 'http://localhost:3000'],
      },
    }).csrf;
    expect(csrf).toMatchObject({
      methods: ['POST', 'DELETE'],
      header: 'x-xsrf-token',
      trustedOrigins: ['https://app.example.com', 'http://localhost:3000'],
    });
  });

  it('accepts timeouts up to their limits', () => {
    const century = 100 * 365.25 * 24 * 60 * 60_000;
    const config = resolveSessionConfig({
      idleTimeout: century,
      absoluteTimeout: century,
      storeTimeout: 2 ** 31 - 1,
    });
    expect(config.idleTimeout).toBe(century);
    expect(config.absoluteTimeout).toBe(century);
    expect(config.storeTimeout).toBe(2 ** 31 - 1);
  });

  it('accepts a __Host- name with secure: true and path /', () => {
    const config = resolveSessionConfig({ cookie: { name: '__Host-sid', secure: true } });
    expect(config.cookieName).toBe('__Host-sid');
  });

  const BAD: [string, unknown, string][] = [
    ['options that are not an object', 'sid', 'options'],
    ['a negative idleTimeout', { idleTimeout: -1 }, 'idleTimeout'],
    ['a zero idleTimeout', { idleTimeout: 0 }, 'idleTimeout'],
    ['a NaN idleTimeout', { idleTimeout: NaN }, 'idleTimeout'],
    ['an infinite idleTimeout', { idleTimeout: Infinity }, 'idleTimeout'],
    ['a string idleTimeout', { idleTimeout: '30m' }, 'idleTimeout'],
    ['a zero absoluteTimeout', { absoluteTimeout: 0 }, 'absoluteTimeout'],
    ['a negative touchAfter', { touchAfter: -1 }, 'touchAfter'],
    ['touchAfter equal to idleTimeout', { idleTimeout: 1000, touchAfter: 1000 }, 'touchAfter'],
    ['a zero storeTimeout', { storeTimeout: 0 }, 'storeTimeout'],
    // Node fires such a timer at once: every store call would time out.
    ['a storeTimeout over 2^31 - 1 ms', { storeTimeout: 2 ** 31 }, 'storeTimeout'],
    // Redis refuses such a TTL: every commit would answer 503.
    ['an idleTimeout over 100 years', { idleTimeout: 1e19 }, 'idleTimeout'],
    ['an absoluteTimeout over 100 years', { absoluteTimeout: 1e19 }, 'absoluteTimeout'],
    ['a fractional maxSize', { maxSize: 10.5 }, 'maxSize'],
    ['a zero memoryStoreMaxSessions', { memoryStoreMaxSessions: 0 }, 'memoryStoreMaxSessions'],
    ['a numeric keyPrefix', { keyPrefix: 1 }, 'keyPrefix'],
    ['a null keyPrefix', { keyPrefix: null }, 'keyPrefix'],
    ['options read through their prototype', Object.create({ csrf: false }), 'options'],
    ['csrf as an array', { csrf: [] }, 'csrf'],
    ['cookie as an array', { cookie: [] }, 'cookie'],
    ['a null cookie', { cookie: null }, 'cookie'],
    ['a __proto__ csrf field', { csrf: { field: '__proto__' } }, 'csrf.field'],
    ['a method name with a space', { csrf: { methods: ['PO ST'] } }, 'csrf.methods'],
    ['a bracketed csrf.field naming __proto__', { csrf: { field: 'a[__proto__]' } }, 'csrf.field'],
    [
      'a wildcard trusted origin',
      { csrf: { trustedOrigins: ['https://*.example.com'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin with a query',
      { csrf: { trustedOrigins: ['https://a.example.com?q=1'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin with a fragment',
      { csrf: { trustedOrigins: ['https://a.example.com#x'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin with credentials',
      { csrf: { trustedOrigins: ['https://u:p@a.example.com'] } },
      'csrf.trustedOrigins',
    ],
    ['an unknown option', { secret: 'keyboard cat' }, 'secret'],
    ['a randval without generate', { randval: {} }, 'randval'],
    ['a null randval', { randval: null }, 'randval'],
    ['a cookie that is not an object', { cookie: 'sid' }, 'cookie'],
    ['an unknown cookie option', { cookie: { expires: 1 } }, 'cookie.expires'],
    ['a bogus sameSite', { cookie: { sameSite: 'bogus' } }, 'cookie.sameSite'],
    [
      'sameSite none with secure false',
      { cookie: { sameSite: 'none', secure: false } },
      'cookie.sameSite',
    ],
    [
      'partitioned with secure false',
      { cookie: { partitioned: true, secure: false } },
      'cookie.partitioned',
    ],
    ['a string secure', { cookie: { secure: 'yes' } }, 'cookie.secure'],
    ['a string httpOnly', { cookie: { httpOnly: 'true' } }, 'cookie.httpOnly'],
    ['a relative path', { cookie: { path: 'app' } }, 'cookie.path'],
    ['an empty domain', { cookie: { domain: '' } }, 'cookie.domain'],
    ['a zero maxAge', { cookie: { maxAge: 0 } }, 'cookie.maxAge'],
    ['a cookie name with a space', { cookie: { name: 'my sid' } }, 'cookie.name'],
    ['a cookie name with =', { cookie: { name: 'a=b' } }, 'cookie.name'],
    ['an empty cookie name', { cookie: { name: '' } }, 'cookie.name'],
    ['__Host- with secure auto', { cookie: { name: '__Host-sid' } }, 'cookie.name'],
    [
      '__Host- with a path',
      { cookie: { name: '__Host-sid', secure: true, path: '/app' } },
      'cookie.name',
    ],
    [
      '__Host- with a domain',
      { cookie: { name: '__Host-sid', secure: true, domain: 'example.com' } },
      'cookie.name',
    ],
    [
      '__Secure- with secure false',
      { cookie: { name: '__Secure-sid', secure: false } },
      'cookie.name',
    ],
    ['csrf true', { csrf: true }, 'csrf'],
    ['an unknown csrf option', { csrf: { skip: [] } }, 'csrf.skip'],
    ['a string csrf.guard', { csrf: { guard: 'no' } }, 'csrf.guard'],
    ['an empty csrf.field', { csrf: { field: '' } }, 'csrf.field'],
    ['a csrf.header with a space', { csrf: { header: 'x csrf' } }, 'csrf.header'],
    ['csrf.methods as a string', { csrf: { methods: 'POST' } }, 'csrf.methods'],
    ['a safe method in csrf.methods', { csrf: { methods: ['POST', 'head'] } }, 'csrf.methods'],
    [
      'csrf.trustedOrigins as a string',
      { csrf: { trustedOrigins: 'https://a.example' } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin that is not a URL',
      { csrf: { trustedOrigins: ['not a url'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin with a path',
      { csrf: { trustedOrigins: ['https://a.example/x'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin without a scheme',
      { csrf: { trustedOrigins: ['a.example.com'] } },
      'csrf.trustedOrigins',
    ],
    [
      'a trusted origin that is not a string',
      { csrf: { trustedOrigins: [42] } },
      'csrf.trustedOrigins',
    ],
  ];

  it.each(BAD)('refuses %s with an error naming the option', (_, options, option) => {
    let error: unknown;
    try {
      resolveSessionConfig(options as SessionModuleOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionOptionsError);
    expect((error as Error).message).toContain(`"${option}"`);
  });
});
