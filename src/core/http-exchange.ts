/**
 * @internal What the session model needs from one HTTP request and its response, whatever the
 * framework.
 */
export interface HttpExchange {
  /** The request method in upper case. */
  readonly method: string;
  /** The raw `Cookie` request header, if any. */
  cookieHeader(): string | undefined;
  /** Whether the request arrived over HTTPS, as the framework reports it (trust proxy included). */
  isSecure(): boolean;
  /**
   * Adds a `Set-Cookie` header for cookie `name`, replacing one this library set before on the
   * same response and keeping every other cookie. Ignored once the headers are sent.
   */
  setCookie(name: string, header: string): void;
  /**
   * Whether the response carries a `Set-Cookie` for cookie `name` other than `own`, the one this
   * library set: code after a commit set that cookie itself (a sign-out clearing it, say).
   */
  hasOtherCookie?(name: string, own: string): boolean;
  /** A request header's first value, if any (used for `X-Forwarded-Proto`). */
  requestHeader?(name: string): string | undefined;
  /** A response header as set so far, if any; `undefined` where there is no HTTP response. */
  responseHeader?(name: string): string | undefined;
  /** Sets a response header; ignored once the headers are sent. */
  setResponseHeader?(name: string, value: string): void;
  /**
   * `false` where no cookie can reach the client (a WebSocket message): a write that would start
   * a session then fails, since nobody could resume it.
   */
  readonly canStartSession?: boolean;
}
