import { expiredCookieHeader, sessionCookieHeader } from './cookie.js';
import { validateCookieParams, type CookieParams } from './cookie-params.js';
import type { HttpExchange } from './http-exchange.js';
import type { SessionRuntime } from './session-runtime.js';

/**
 * The session cookie of one response: its attributes, whether it must be sent or expired, and
 * the cache headers that keep a response carrying it (or showing the session) out of shared
 * caches.
 */
export class SessionCookie {
  private params: CookieParams;
  /** Attributes were changed by the handler, so the cookie goes out again once there is a session. */
  paramsChanged = false;
  send = false;
  expire = false;
  /** This response already carries a cookie naming a session (a commit during the request). */
  carriesId = false;
  /** The `Set-Cookie` header a commit of this request put on the response, if any. */
  private sent: string | undefined;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly exchange: HttpExchange,
  ) {
    this.params = runtime.config.cookie;
  }

  get name(): string {
    return this.runtime.config.cookieName;
  }

  getParams(): CookieParams {
    return { ...this.params };
  }

  /** Checks `params` now, naming the attribute, so a bad value never reaches a header or a log. */
  setParams(params: Partial<CookieParams>): void {
    const merged = { ...this.params, ...params };
    validateCookieParams(this.name, merged, 'setCookieParams');
    this.params = merged;
    this.paramsChanged = true;
  }

  /** Whether the cookie outlives the browser session, so every commit re-sends its Max-Age. */
  get persistent(): boolean {
    return this.params.maxAge !== undefined;
  }

  /** Puts the pending Set-Cookie on the response: `id`'s cookie, or the expiring one. */
  flush(id: string | undefined): void {
    if (this.send && id !== undefined) {
      this.put(sessionCookieHeader(this.name, id, this.params, this.secure()));
      this.carriesId = true;
    } else if (this.expire) {
      this.put(expiredCookieHeader(this.name, this.params, this.secure()));
      this.carriesId = false;
    }
    this.send = false;
    this.expire = false;
  }

  /**
   * When the response's headers are about to go out: marks it private, and puts back the cookie
   * an earlier commit of this request set, in case code after that commit replaced the response's
   * `Set-Cookie` list (`res.setHeader('Set-Cookie', …)`) or its `Cache-Control` (a `public`
   * one): a new or regenerated session whose cookie the browser never gets signs the user out.
   */
  beforeResponse(): void {
    const header = this.sent;
    if (header === undefined) return this.markPrivate(false);
    // A cookie of the session's name set by that code is its own word (a sign-out clearing it):
    // only a cookie that went missing is put back.
    if (this.exchange.hasOtherCookie?.(this.name, header)) return this.markPrivate(true);
    this.put(header);
  }

  private put(header: string): void {
    this.exchange.setCookie(this.name, header);
    this.sent = header;
    this.markPrivate(true);
  }

  /**
   * Marks the response private: `private, no-store` when it carries the cookie, at least `private`
   * (replacing `public`) when its handler read the session. Off with `cacheControl: false`.
   */
  markPrivate(carriesCookie: boolean): void {
    const { exchange } = this;
    if (!this.runtime.config.cacheControl || !exchange.setResponseHeader) return;
    const current = exchange.responseHeader?.('cache-control');
    exchange.setResponseHeader('cache-control', privateCacheControl(current, carriesCookie));
  }

  private secure(): boolean {
    if (this.params.secure !== 'auto') return this.params.secure;
    // Browsers drop a SameSite=None or Partitioned cookie without Secure, wherever it came from; a
    // browser that reached the app over HTTPS through a proxy the app does not trust keeps it.
    if (this.params.sameSite === 'none' || this.params.partitioned) return true;
    const secure = this.exchange.isSecure();
    if (
      !secure &&
      this.exchange.requestHeader?.('x-forwarded-proto')?.trim().toLowerCase() === 'https'
    ) {
      this.runtime.warnOnce(
        'A request arrived with X-Forwarded-Proto: https but the app sees plain HTTP, so the ' +
          "session cookie goes out without Secure: set the adapter's trust proxy setting (or cookie.secure: true)",
      );
    }
    return secure;
  }
}

// Asks proxies not to change the body: an event stream (Nest sets it on `@Sse()`) that a proxy
// compressed or buffered would stall. It says nothing about caching, so a cookie keeps it.
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;

function privateCacheControl(current: string | undefined, carriesCookie: boolean): string {
  if (carriesCookie) {
    return current !== undefined && NO_TRANSFORM.test(current)
      ? 'private, no-store, no-transform'
      : 'private, no-store';
  }
  if (current === undefined) return 'private';
  const directives = (current ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '' && d.toLowerCase() !== 'public');
  if (!directives.some((d) => /^(private|no-store)$/i.test(d))) directives.unshift('private');
  return directives.join(', ');
}
