import type { IncomingHttpHeaders } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';
import { hasOtherCookie, setCookieList } from './set-cookie-list.js';

/** The parts of an Express request the session uses. */
export interface ExpressRequestLike {
  method: string;
  headers: IncomingHttpHeaders;
  protocol: string;
  secure: boolean;
  host?: string;
  res?: ExpressResponseLike;
}

/** The parts of an Express response the session uses. */
export interface ExpressResponseLike {
  headersSent: boolean;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
}

/** {@link HttpExchange} on `@nestjs/platform-express`. */
export class ExpressExchange implements HttpExchange {
  private ownCookie: string | undefined;
  // Looked up once: each property lookup on an Express request misses V8's caches, because no
  // two Express requests share a hidden class (see `expressSessions` in request-session.ts).
  private readonly res: ExpressResponseLike | undefined;

  constructor(private readonly req: ExpressRequestLike) {
    this.res = req.res;
  }

  get method(): string {
    return this.req.method;
  }

  cookieHeader(): string | undefined {
    return this.req.headers.cookie;
  }

  isSecure(): boolean {
    return this.req.secure;
  }

  origin(): string {
    // Express 5's req.host keeps the port and follows the app's trust-proxy setting.
    return `${this.req.protocol}://${this.req.host ?? this.req.headers.host ?? ''}`;
  }

  requestHeader(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  responseHeader(name: string): string | undefined {
    const value = this.res?.getHeader(name);
    return value === undefined ? undefined : String(value);
  }

  setResponseHeader(name: string, value: string): void {
    const { res } = this;
    if (res && !res.headersSent) res.setHeader(name, value);
  }

  hasOtherCookie(name: string, own: string): boolean {
    return hasOtherCookie(setCookieList(this.res?.getHeader('set-cookie')), name, own);
  }

  setCookie(_name: string, header: string): void {
    const { res } = this;
    if (!res || res.headersSent) return;
    const others = setCookieList(res.getHeader('set-cookie')).filter((c) => c !== this.ownCookie);
    res.setHeader('set-cookie', [...others, header]);
    this.ownCookie = header;
  }
}
