import { SessionOptionsError } from '../../src/core/errors.js';
import { SessionCookie } from '../../src/core/session-cookie.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../../src/core/session-options.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';
import { cookieAttributes, forgedSessionId } from '../support/stores/core-store.js';
import { FakeExchange } from '../support/model/hardening-manager.js';

const ID = forgedSessionId('session-cookie');

/** A FakeExchange with request and response headers and a scheme. */
class HeaderExchange extends FakeExchange {
  readonly responseHeaders = new Map<string, string>();

  constructor(
    private readonly requestHeaders: Record<string, string> = {},
    private readonly secure = false,
  ) {
    super();
  }

  override isSecure(): boolean {
    return this.secure;
  }

  override requestHeader(name: string): string | undefined {
    return this.requestHeaders[name];
  }

  responseHeader(name: string): string | undefined {
    return this.responseHeaders.get(name);
  }

  setResponseHeader(name: string, value: string): void {
    this.responseHeaders.set(name, value);
  }
}

function cookieOf(
  options: SessionModuleOptions = {},
  exchange = new HeaderExchange(),
  warnings: string[] = [],
) {
  const runtime = new SessionRuntime(resolveSessionConfig(options), new MemorySessionStore(), {
    warn: (message) => warnings.push(message),
  });
  return { cookie: new SessionCookie(runtime, exchange), exchange, warnings, runtime };
}

function setCookieOf(exchange: FakeExchange, name = 'sid'): string {
  const header = exchange.cookies.get(name);
  if (header === undefined) throw new Error(`no Set-Cookie for ${name}`);
  return header;
}

describe('SessionCookie: the session cookie', () => {
  it('hands the id to the browser with the configured attributes, and no Max-Age by default', () => {
    const { cookie, exchange } = cookieOf({
      cookie: { name: 'app', path: '/shop', sameSite: 'strict' },
    });
    cookie.send = true;
    cookie.flush(ID);
    const header = setCookieOf(exchange, 'app');
    expect(header.startsWith(`app=${ID};`)).toBe(true);
    const attributes = cookieAttributes(header);
    expect(attributes.get('path')).toBe('/shop');
    expect(attributes.get('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Strict');
    expect(attributes.has('max-age')).toBe(false);
    expect(attributes.has('expires')).toBe(false);
  });

  it('gives a persistent cookie its Max-Age in whole seconds, rounded down', () => {
    const { cookie, exchange } = cookieOf({ cookie: { maxAge: 86_400_999 } });
    expect(cookie.persistent).toBe(true);
    cookie.send = true;
    cookie.flush(ID);
    expect(cookieAttributes(setCookieOf(exchange)).get('max-age')).toBe('86400');
  });

  it('is a browser-session cookie without maxAge', () => {
    expect(cookieOf().cookie.persistent).toBe(false);
  });

  it('sends nothing when nothing is pending, and clears what it sent', () => {
    const { cookie, exchange } = cookieOf();
    cookie.flush(ID);
    expect(exchange.cookies.size).toBe(0);
    cookie.send = true;
    cookie.flush(ID);
    exchange.cookies.clear();
    cookie.flush(ID);
    expect(exchange.cookies.size).toBe(0);
    expect(cookie.send).toBe(false);
  });

  it('sends no id cookie without an id, nor an expiring one unless asked', () => {
    const { cookie, exchange } = cookieOf();
    cookie.send = true;
    cookie.flush(undefined);
    expect(exchange.cookies.size).toBe(0);
  });
});

describe('SessionCookie: the expiring cookie', () => {
  it('deletes the cookie in the browser under the same name, path and domain', () => {
    const { cookie, exchange } = cookieOf({
      cookie: { path: '/app', domain: 'example.com', maxAge: 3_600_000 },
    });
    cookie.expire = true;
    cookie.flush(undefined);
    const header = setCookieOf(exchange);
    expect(header.startsWith('sid=;')).toBe(true);
    const attributes = cookieAttributes(header);
    expect(attributes.get('max-age')).toBe('0');
    expect(attributes.get('expires')).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(attributes.get('path')).toBe('/app');
    expect(attributes.get('domain')).toBe('example.com');
    expect(exchange.responseHeaders.get('cache-control')).toBe('private, no-store');
    expect(cookie.expire).toBe(false);
  });

  it('prefers a new id over expiring the old cookie', () => {
    const { cookie, exchange } = cookieOf();
    cookie.send = true;
    cookie.expire = true;
    cookie.flush(ID);
    expect(setCookieOf(exchange).startsWith(`sid=${ID};`)).toBe(true);
  });
});

describe('SessionCookie: Secure', () => {
  it("follows the request's scheme with secure 'auto'", () => {
    const plain = cookieOf();
    plain.cookie.send = true;
    plain.cookie.flush(ID);
    expect(cookieAttributes(setCookieOf(plain.exchange)).has('secure')).toBe(false);
    const tls = cookieOf({}, new HeaderExchange({}, true));
    tls.cookie.send = true;
    tls.cookie.flush(ID);
    expect(cookieAttributes(setCookieOf(tls.exchange)).get('secure')).toBe(true);
  });

  it.each([
    ['SameSite=None', { sameSite: 'none' as const }],
    ['Partitioned', { partitioned: true }],
  ])(
    "is set over plain HTTP with secure 'auto' on a %s cookie, which browsers drop without it",
    (_, params) => {
      const { cookie, exchange } = cookieOf({ cookie: params });
      cookie.send = true;
      cookie.flush(ID);
      expect(cookieAttributes(setCookieOf(exchange)).get('secure')).toBe(true);
      const handler = cookieOf();
      handler.cookie.setParams(params);
      handler.cookie.send = true;
      handler.cookie.flush(ID);
      expect(cookieAttributes(setCookieOf(handler.exchange)).get('secure')).toBe(true);
    },
  );

  it('is always set with secure: true, even over plain HTTP', () => {
    const { cookie, exchange } = cookieOf({ cookie: { secure: true } });
    cookie.expire = true;
    cookie.flush(undefined);
    expect(cookieAttributes(setCookieOf(exchange)).get('secure')).toBe(true);
  });

  it('warns once per app when a proxy says https but the app sees plain HTTP', () => {
    const warnings: string[] = [];
    const runtime = new SessionRuntime(resolveSessionConfig(), new MemorySessionStore(), {
      warn: (message) => warnings.push(message),
    });
    for (let i = 0; i < 3; i++) {
      const exchange = new HeaderExchange({ 'x-forwarded-proto': ' HTTPS ' });
      const cookie = new SessionCookie(runtime, exchange);
      cookie.send = true;
      cookie.flush(ID);
      expect(cookieAttributes(setCookieOf(exchange)).has('secure')).toBe(false);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/X-Forwarded-Proto: https/);
    expect(warnings[0]).toMatch(/trust proxy/);
  });

  it('does not warn when the app already sees HTTPS, or when Secure is fixed', () => {
    const seen = cookieOf({}, new HeaderExchange({ 'x-forwarded-proto': 'https' }, true));
    seen.cookie.send = true;
    seen.cookie.flush(ID);
    const fixed = cookieOf(
      { cookie: { secure: false } },
      new HeaderExchange({ 'x-forwarded-proto': 'https' }),
    );
    fixed.cookie.send = true;
    fixed.cookie.flush(ID);
    expect([...seen.warnings, ...fixed.warnings]).toEqual([]);
  });

  it('does not warn for a proxy that says http', () => {
    const { cookie, warnings } = cookieOf({}, new HeaderExchange({ 'x-forwarded-proto': 'http' }));
    cookie.send = true;
    cookie.flush(ID);
    expect(warnings).toEqual([]);
  });
});

describe('SessionCookie: Cache-Control', () => {
  it('marks a response that carries the cookie private, no-store, whatever the handler set', () => {
    const exchange = new HeaderExchange();
    exchange.setResponseHeader('cache-control', 'public, max-age=600');
    const { cookie } = cookieOf({}, exchange);
    cookie.send = true;
    cookie.flush(ID);
    expect(exchange.responseHeaders.get('cache-control')).toBe('private, no-store');
  });

  it('keeps no-transform on a response that carries the cookie, as an event stream needs', () => {
    const exchange = new HeaderExchange();
    exchange.setResponseHeader(
      'cache-control',
      'no-cache, must-revalidate, max-age=0, No-Transform',
    );
    const { cookie } = cookieOf({}, exchange);
    cookie.send = true;
    cookie.flush(ID);
    expect(exchange.responseHeaders.get('cache-control')).toBe('private, no-store, no-transform');
  });

  it('replaces public with private on a response that only read the session', () => {
    const exchange = new HeaderExchange();
    exchange.setResponseHeader('cache-control', 'Public, max-age=600');
    cookieOf({}, exchange).cookie.markPrivate(false);
    expect(exchange.responseHeaders.get('cache-control')).toBe('private, max-age=600');
  });

  it('adds private to a response without Cache-Control', () => {
    const exchange = new HeaderExchange();
    cookieOf({}, exchange).cookie.markPrivate(false);
    expect(exchange.responseHeaders.get('cache-control')).toBe('private');
  });

  it('keeps a stricter directive the handler chose', () => {
    const exchange = new HeaderExchange();
    exchange.setResponseHeader('cache-control', 'no-store');
    cookieOf({}, exchange).cookie.markPrivate(false);
    expect(exchange.responseHeaders.get('cache-control')).toBe('no-store');
    exchange.setResponseHeader('cache-control', 'max-age=60, PRIVATE');
    cookieOf({}, exchange).cookie.markPrivate(false);
    expect(exchange.responseHeaders.get('cache-control')).toBe('max-age=60, PRIVATE');
  });

  it('leaves Cache-Control alone with cacheControl: false', () => {
    const exchange = new HeaderExchange();
    exchange.setResponseHeader('cache-control', 'public, max-age=600');
    const { cookie } = cookieOf({ cacheControl: false }, exchange);
    cookie.send = true;
    cookie.flush(ID);
    cookie.markPrivate(false);
    expect(exchange.responseHeaders.get('cache-control')).toBe('public, max-age=600');
    expect(setCookieOf(exchange).startsWith(`sid=${ID};`)).toBe(true);
  });

  it('works where there is no HTTP response to mark (a WebSocket message)', () => {
    const { runtime } = cookieOf();
    const exchange = new FakeExchange();
    const cookie = new SessionCookie(runtime, exchange);
    cookie.send = true;
    expect(() => cookie.flush(ID)).not.toThrow();
    expect(setCookieOf(exchange).startsWith(`sid=${ID};`)).toBe(true);
  });
});

describe('SessionCookie: attributes', () => {
  it('hands out a copy of its attributes', () => {
    const { cookie } = cookieOf();
    cookie.getParams().path = '/changed';
    expect(cookie.getParams().path).toBe('/');
  });

  it('sends the cookie with attributes changed by the handler, and notes the change', () => {
    const { cookie, exchange } = cookieOf();
    cookie.setParams({ maxAge: 7 * 86_400_000 });
    expect(cookie.paramsChanged).toBe(true);
    expect(cookie.persistent).toBe(true);
    cookie.send = true;
    cookie.flush(ID);
    expect(cookieAttributes(setCookieOf(exchange)).get('max-age')).toBe('604800');
  });

  it('refuses an invalid attribute at the call, naming it, and keeps the ones it had', () => {
    const { cookie } = cookieOf({ cookie: { path: '/app' } });
    expect(() => cookie.setParams({ path: '/a;b', maxAge: 5_000 })).toThrow(SessionOptionsError);
    expect(() => cookie.setParams({ maxAge: 999 })).toThrow(/setCookieParams\.maxAge/);
    expect(cookie.getParams()).toEqual({
      path: '/app',
      secure: 'auto',
      httpOnly: true,
      sameSite: 'lax',
    });
    expect(cookie.paramsChanged).toBe(false);
  });
});
