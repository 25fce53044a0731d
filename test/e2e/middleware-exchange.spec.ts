import { EventEmitter } from 'node:events';
import type { HttpExchange } from '../../src/core/http-exchange.js';
import {
  COOKIE_NOT_SENT_WARNING,
  FastifyMiddlewareExchange,
} from '../../src/http/fastify-middleware-exchange.js';

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
  const raw = () => {
    const request = new EventEmitter() as EventEmitter & {
      method: string;
      headers: Record<string, string>;
      protocol: string;
    };
    request.method = 'get';
    request.headers = { cookie: 'sid=abc', 'x-forwarded-proto': 'https' };
    request.protocol = 'https';
    return request;
  };
  const ignore = (): void => undefined;

  it('reads the request from Node’s own request before Fastify’s takes over', () => {
    const exchange = new FastifyMiddlewareExchange(raw(), ignore);
    expect(exchange.method).toBe('GET');
    expect(exchange.cookieHeader()).toBe('sid=abc');
    expect(exchange.isSecure()).toBe(true);
    expect(exchange.requestHeader('x-forwarded-proto')).toBe('https');
    expect(
      new FastifyMiddlewareExchange(
        Object.assign(new EventEmitter(), { headers: {} }),
        ignore,
      ).isSecure(),
    ).toBe(false);
  });

  it('keeps the response headers and the cookie until it is attached, then hands them over', () => {
    const exchange = new FastifyMiddlewareExchange(raw(), ignore);
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
    const exchange = new FastifyMiddlewareExchange(raw(), ignore);
    const fastify = recordingExchange(false);
    exchange.attach(fastify.exchange);
    exchange.setCookie('sid', 'sid=x; Path=/');
    exchange.setResponseHeader('cache-control', 'private');
    expect(fastify.cookies).toEqual([['sid', 'sid=x; Path=/']]);
    expect(exchange.responseHeader('cache-control')).toBe('private');
    expect(exchange.isSecure()).toBe(false);
    expect(exchange.method).toBe('POST');
  });

  it('warns when the request ends with a cookie that Fastify never took over', () => {
    const warnings: string[] = [];
    const request = raw();
    const exchange = new FastifyMiddlewareExchange(request, (message) => warnings.push(message));
    exchange.setCookie('sid', 'sid=a; Path=/');
    exchange.setCookie('sid', 'sid=b; Path=/');
    request.emit('close');
    expect(warnings).toEqual([COOKIE_NOT_SENT_WARNING]);

    const handed = raw();
    const attached = new FastifyMiddlewareExchange(handed, (message) => warnings.push(message));
    attached.setCookie('sid', 'sid=c; Path=/');
    attached.attach(recordingExchange().exchange);
    handed.emit('close');
    expect(warnings).toHaveLength(1);
  });
});
