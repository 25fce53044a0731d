import type { HttpExchange } from '../core/http-exchange.js';

/**
 * The session's view of one message on a socket: the handshake's cookie, and no way to send one,
 * so a write that would need a new session fails instead of storing one nobody can resume.
 */
export class SocketExchange implements HttpExchange {
  /** The handshake's method; a message reads flash values like any request that is not HEAD. */
  readonly method = 'GET';
  readonly canStartSession = false;

  constructor(
    private readonly cookie: string | undefined,
    private readonly secure: boolean,
  ) {}

  cookieHeader(): string | undefined {
    return this.cookie;
  }

  isSecure(): boolean {
    return this.secure;
  }

  setCookie(): void {
    // A socket has no response to carry a cookie.
  }
}
