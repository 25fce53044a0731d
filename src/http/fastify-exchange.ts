import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';
import { isHeld } from './response-hold.js';
import { hasOtherCookie, setCookieList } from './set-cookie-list.js';

/** The parts of a Fastify request the session uses. */
export interface FastifyRequestLike {
  method: string;
  headers: IncomingHttpHeaders;
  protocol: string;
  host: string;
  raw: unknown;
}

/** The parts of a Fastify reply the session uses. */
export interface FastifyReplyLike {
  sent: boolean;
  raw: ServerResponse;
  getHeaders(): Record<string, unknown>;
  removeHeader(name: string): unknown;
  header(name: string, value: string | string[]): unknown;
  getHeader(name: string): unknown;
  /** Tells Fastify that the response is sent on `raw`, so it sends no reply of its own. */
  hijack(): unknown;
}

/** {@link HttpExchange} on `@nestjs/platform-fastify`. */
export class FastifyExchange implements HttpExchange {
  private ownCookie: string | undefined;

  constructor(
    private readonly req: FastifyRequestLike,
    private readonly reply: () => FastifyReplyLike | undefined,
  ) {}

  get method(): string {
    return this.req.method;
  }

  cookieHeader(): string | undefined {
    return this.req.headers.cookie;
  }

  isSecure(): boolean {
    return this.req.protocol === 'https';
  }

  origin(): string {
    return `${this.req.protocol}://${this.req.host}`;
  }

  requestHeader(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  responseHeader(name: string): string | undefined {
    const reply = this.reply();
    const value = reply?.getHeader(name) ?? reply?.raw.getHeader(name);
    return value === undefined ? undefined : String(value);
  }

  setResponseHeader(name: string, value: string): void {
    const reply = this.reply();
    if (!reply || reply.raw.headersSent) return;
    // A reply that is `sent` with its raw headers still unsent was hijacked: the handler answers
    // on reply.raw, as does one whose raw response is held for the commit (see response-hold.ts).
    const sent = reply.sent;
    if (!sent) reply.header(name, value);
    // A response that carries the session cookie has it on reply.raw as well (see setCookie), for
    // code that commits and then answers there; its Cache-Control must go with it.
    if (sent || this.ownCookie !== undefined || isHeld(reply.raw)) {
      reply.raw.setHeader(name, value);
    }
  }

  hasOtherCookie(name: string, own: string): boolean {
    const reply = this.reply();
    if (!reply) return false;
    const lists = [reply.raw.getHeader('set-cookie'), reply.getHeaders()['set-cookie']];
    return lists.some((list) => hasOtherCookie(setCookieList(list), name, own));
  }

  setCookie(_name: string, header: string): void {
    const reply = this.reply();
    // `sent` here means hijacked (see setResponseHeader): only reply.raw's list is sent then.
    if (!reply || reply.raw.headersSent) return;
    // Fastify writes its own header list over one set on reply.raw, so a cookie that other code
    // put on the raw response would be lost: gather both lists into Fastify's.
    const merged = new Set([
      ...setCookieList(reply.raw.getHeader('set-cookie')),
      ...setCookieList(reply.getHeaders()['set-cookie']),
    ]);
    if (this.ownCookie !== undefined) merged.delete(this.ownCookie);
    const list = [...merged, header];
    if (!reply.sent) {
      reply.removeHeader('set-cookie');
      reply.header('set-cookie', list);
    }
    // On reply.raw too, for a handler that commits and then answers through reply.raw or after
    // reply.hijack(), which never write Fastify's list; a reply.send() writes the same list over it.
    reply.raw.setHeader('set-cookie', list);
    this.ownCookie = header;
  }
}
