import type { HttpExchange } from '../../src/core/http-exchange.js';
import { FastifyMiddlewareExchange } from '../../src/http/fastify-middleware-exchange.js';

/** An exchange that records what is set on its response. */
function recordingExchange(secure = false) {
  const headers = new Map<string, string>();
  const cookies: Array<[string, string]> = [];
  const exchange: HttpExchange = {
    method: 'POST',
    cookieHeader: () => undefined,
    isSecure: () => secure,
    setCookie: (name, header) => cookies.push([name, header]),
    responseHeader: (name) => headers.get(name),
    setResponseHeader: (name, value) => headers.set(name, value),
  };
  return { exchange, headers, cookies };
}

describe('FastifyMiddlewareExchange', () => {
  const raw = () => ({
    method: 'get',
    headers: { cookie: 'sid=abc', 'x-forwarded-proto': 'https' },
    protocol: 'https',
  });

  it('reads the request from Node’s own request before Fastify’s takes over', () => {
    const exchange = new FastifyMiddlewareExchange(raw());
    expect(exchange.method).toBe('GET');
    expect(exchange.cookieHeader()).toBe('sid=abc');
    expect(exchange.isSecure()).toBe(true);
    expect(exchange.requestHeader('x-forwarded-proto')).toBe('https');
    expect(new FastifyMiddlewareExchange({ headers: {} }).isSecure()).toBe(false);
  });

  it('keeps the response headers and the cookie until it is attached, then hands them over', () => {
    const exchange = new FastifyMiddlewareExchange(raw());
    exchange.setResponseHeader('cache-control', 'private, no-store');
    exchange.setCookie('sid', 'sid=old; Path=/');
    exchange.setCookie('sid', 'sid=new; Path=/');
    expect(exchange.responseHeader('cache-control')).toBe('private, no-store');
    const fastify = recordingExchange();
    exchange.attach(fastify.exchange);
    expect(fastify.headers.get('cache-control')).toBe('private, no-store');
    expect(fastify.cookies).toEqual([['sid', 'sid=new; Path=/']]);
  });

  it('goes through Fastify’s exchange once attached', () => {
    const exchange = new FastifyMiddlewareExchange(raw());
    const fastify = recordingExchange(false);
    exchange.attach(fastify.exchange);
    exchange.setCookie('sid', 'sid=x; Path=/');
    exchange.setResponseHeader('cache-control', 'private');
    expect(fastify.cookies).toEqual([['sid', 'sid=x; Path=/']]);
    expect(exchange.responseHeader('cache-control')).toBe('private');
    expect(exchange.isSecure()).toBe(false);
    expect(exchange.method).toBe('POST');
  });
});
