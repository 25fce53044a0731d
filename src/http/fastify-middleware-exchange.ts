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
}

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

  constructor(private readonly raw: RawFastifyRequestLike) {}

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
    if (this.fastify) this.fastify.setCookie(name, header);
    else this.waitingCookie = [name, header];
  }
}
