import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { SessionManager } from '../core/session-manager.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { SocketExchange } from '../ws/socket-exchange.js';
import { handshakeOf, socketCookieOf } from '../ws/socket-handshake.js';

/** One message being handled on `client`, with the session its handler uses (once it asks). */
export interface MessageScope {
  client: object;
  runtime: SessionRuntime;
  session?: SessionManager;
}

const messages = new AsyncLocalStorage<MessageScope>();

/** Runs `handle` (a message's handler chain) so that the session of `scope.client` is shared within it. */
export function withinMessage<T>(scope: MessageScope, handle: () => T): T {
  return messages.run(scope, handle);
}

/**
 * The session of a socket for the message under way: one `SessionManager` per message where a
 * `SessionInterceptor` scopes it, otherwise a new one per call. Either way it reads the latest
 * stored state, so a session destroyed or revoked since the handshake reads as absent.
 */
export function socketSession(client: object, runtime?: SessionRuntime): SessionManager {
  const scope = messages.getStore();
  if (scope?.client === client) return (scope.session ??= newSocketSession(client, scope.runtime));
  return newSocketSession(client, runtime);
}

function newSocketSession(client: object, runtime: SessionRuntime | undefined): SessionManager {
  const handshake = handshakeOf(client);
  const sessions = runtime ?? handshake?.runtime;
  if (!sessions) {
    throw new Error(
      "No session for this socket: import SessionModule.forRoot() in the app module, and serve the gateway on the app's HTTP server or apply SessionInterceptor to it",
    );
  }
  const csrf = sessions.config.csrf;
  const cookie = socketCookieOf(client, handshake, csrf ? csrf.trustedOrigins : []);
  return new SessionManager(sessions, new SocketExchange(cookie, handshake?.secure ?? false));
}

/**
 * The sessions of WebSocket clients, for code without an execution context
 * (`handleConnection`, services): `sockets.of(client)`. A socket's session is the one its
 * handshake's cookie names; a handshake from another site's page gets none.
 */
@Injectable()
export class SessionSockets {
  /** @internal Nest injects it. */
  constructor(private readonly runtime: SessionRuntime) {}

  /**
   * The session of `client` (a socket.io `Socket` or a `ws` `WebSocket`). Within a handler under
   * `SessionInterceptor`, the message's session, committed after the handler; elsewhere a new
   * `SessionManager` reading the latest state, whose writes need `await session.commit()`. A
   * socket cannot start a session: a write without a live one throws `SessionUnavailableError`.
   */
  of(client: object): SessionManager {
    return socketSession(client, this.runtime);
  }
}
