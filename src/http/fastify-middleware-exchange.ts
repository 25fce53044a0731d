import type { IncomingHttpHeaders } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';

/**
 * Node's own request, as Nest hands it to a middleware on Fastify; `@fastify/middie` copies the
 * request's `protocol` (trust proxy included) onto it.
 */
export interface RawFastifyRequestLike {
  method?: string;
  headers: IncomingHttpHeaders;
  protocol?: string;
  once(event: 'close', listener: () => void): unknown;
}

/** What is logged when a middleware answered on Fastify while the session's cookie waited. */
export const COOKIE_NOT_SENT_WARNING =
  "A Nest middleware on Fastify answered a request itself after starting, regenerating or destroying its session, so the session cookie was not sent: Nest hands a middleware on Fastify only Node's own request and response, and the session cannot reach that response. Answer from a guard, an interceptor or the handler instead, or call next()";

/**
 * {@link HttpExchange} of a session a Nest middleware asked for on Fastify, where the middleware
 * gets Node's own request, and neither Fastify's request nor its reply. Until Fastify's request
 * takes the session over (its handler asks for it, or the reply goes out), the request is read
 * from the raw one, and the response headers the session sets wait here: nothing is sent before
 * Fastify answers.
 */
export class FastifyMiddlewareExchange implements HttpExchange {
  private fastify: HttpExchange | undefined;
  private readonly waiting = new Map<string, string>();
  private waitingCookie: [name: string, header: string] | undefined;

  /** `warn` logs a cookie that could not be sent (see {@link COOKIE_NOT_SENT_WARNING}). */
  constructor(
    private readonly raw: RawFastifyRequestLike,
    private readonly warn: (message: string) => void,
  ) {}

  /** Hands everything over to the exchange of Fastify's request, with what waited here. */
  attach(fastify: HttpExchange): void {
    this.fastify = fastify;
    for (const [name, value] of this.waiting) fastify.setResponseHeader?.(name, value);
    if (this.waitingCookie) fastify.setCookie(...this.waitingCookie);
    this.waiting.clear();
    this.waitingCookie = undefined;
  }

  get method(): string {
    return this.fastify?.method ?? (this.raw.method ?? 'GET').toUpperCase();
  }

  cookieHeader(): string | undefined {
    return this.raw.headers.cookie;
  }

  isSecure(): boolean {
    return this.fastify ? this.fastify.isSecure() : this.raw.protocol === 'https';
  }

  requestHeader(name: string): string | undefined {
    const value = this.raw.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  responseHeader(name: string): string | undefined {
    return this.fastify ? this.fastify.responseHeader?.(name) : this.waiting.get(name);
  }

  setResponseHeader(name: string, value: string): void {
    if (this.fastify) this.fastify.setResponseHeader?.(name, value);
    else this.waiting.set(name, value);
  }

  setCookie(name: string, header: string): void {
    if (this.fastify) return this.fastify.setCookie(name, header);
    // A middleware that answers the request itself (a login redirect) ends it without Fastify
    // ever taking the session over: the cookie is lost, which must not go unnoticed. Node
    // closes a server's request once its response has finished.
    if (!this.waitingCookie) {
      this.raw.once('close', () => {
        if (!this.fastify) this.warn(COOKIE_NOT_SENT_WARNING);
      });
    }
    this.waitingCookie = [name, header];
  }
}
