import { Injectable } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Observable } from 'rxjs';
import { newSessionManager, type SessionManager } from '../core/session-manager.js';
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

// What `@WebSocketGateway()` marks a class with; read here so that `@nestjs/websockets` stays an
// optional peer.
const GATEWAY_METADATA = 'websockets:is_gateway';
const reflector = new Reflector();

/**
 * The sessions of the app serving each gateway class. A decorator only has the client and the
 * gateway's class to go by, and a gateway on a port of its own has a server the module does not
 * know. A class with a port of its own can only be served by one app at a time (the port is
 * part of the class), so the last app to start it is the one serving it.
 */
const gatewayRuntimes = new WeakMap<object, SessionRuntime>();

/** The sessions of the app that serves gateway class `gateway`, once that app has started. */
export function gatewayRuntimeOf(gateway: object): SessionRuntime | undefined {
  return gatewayRuntimes.get(gateway);
}

/**
 * `handle()` (a message's handler chain), subscribed to within `scope`: the handler and the
 * values its stream produces later share the session of `scope.client`.
 */
export function withinMessage<T>(scope: MessageScope, handle: () => Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) =>
    messages.run(scope, () => handle().subscribe(subscriber)),
  );
}

/**
 * The session of a socket for the message under way: one `SessionManager` per message where a
 * `SessionInterceptor` scopes it, otherwise a new one per call. Either way it reads the latest
 * stored state, so a session destroyed or revoked since the handshake reads as absent. `runtime`
 * serves a socket whose handshake reached a server the module does not serve (a gateway on a
 * port of its own).
 */
export function socketSession(
  client: object,
  runtime?: SessionRuntime,
  message?: object,
): SessionManager {
  const scope = messages.getStore();
  if (scope?.client === client) return (scope.session ??= newSocketSession(client, scope.runtime));
  if (message === undefined) return newSocketSession(client, runtime);
  let early = earlySessions.get(message);
  if (!early) {
    early = newSocketSession(client, runtime);
    earlySessions.set(message, early);
  }
  return early;
}

/**
 * Sessions that guards asked for, by their message's arguments (the one array Nest hands the
 * message's guards, interceptors and handler): Nest runs guards before interceptors, so a guard
 * comes before `SessionInterceptor` has scoped the message. The interceptor takes the guard's
 * session over, so the handler gets the same one and the guard's writes are committed with it.
 */
const earlySessions = new WeakMap<object, SessionManager>();

/** The session a guard of the message with arguments `message` already asked for, if any. */
export function takeEarlySession(message: object): SessionManager | undefined {
  const early = earlySessions.get(message);
  earlySessions.delete(message);
  return early;
}

function newSocketSession(client: object, runtime: SessionRuntime | undefined): SessionManager {
  const handshake = handshakeOf(client);
  const sessions = handshake?.runtime ?? runtime;
  if (!sessions) {
    throw new Error(
      'No session for this socket: import SessionModule.forRoot() in the app that serves its gateway',
    );
  }
  const csrf = sessions.config.csrf;
  const cookie = socketCookieOf(client, handshake, csrf ? csrf.trustedOrigins : []);
  return newSessionManager(sessions, new SocketExchange(cookie, handshake?.secure ?? false));
}

/**
 * The sessions of WebSocket clients, for code without an execution context
 * (`handleConnection`, services): `sockets.of(client)`. A socket's session is the one its
 * handshake's cookie names; a handshake from another site's page gets none.
 */
@Injectable()
export class SessionSockets {
  private readonly gateways: object[] = [];

  /** @internal Nest injects it. */
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly modules: ModulesContainer,
  ) {}

  /**
   * The session of `client` (a socket.io `Socket` or a `ws` `WebSocket`). Within a handler under
   * `SessionInterceptor` (and the stream it returns), the message's session, committed after the
   * handler and before each value of its stream; elsewhere a new `SessionManager` reading the
   * latest state, whose writes need `await session.commit()`. A socket cannot start a session: a
   * write without a live one throws `SessionUnavailableError`.
   */
  of(client: object): SessionManager {
    return socketSession(client, this.runtime);
  }

  /**
   * @internal Records the app's gateways, so that `@Session()` and `@Segment()` find this app's
   * sessions in a gateway on a port of its own even without `SessionInterceptor`.
   */
  onModuleInit(): void {
    for (const module of this.modules.values()) {
      for (const { metatype } of module.providers.values()) {
        if (typeof metatype !== 'function' || !reflector.get(GATEWAY_METADATA, metatype)) continue;
        gatewayRuntimes.set(metatype, this.runtime);
        this.gateways.push(metatype);
      }
    }
  }

  /** @internal Forgets the app's gateways once it closes. */
  onModuleDestroy(): void {
    for (const gateway of this.gateways) {
      if (gatewayRuntimes.get(gateway) === this.runtime) gatewayRuntimes.delete(gateway);
    }
    this.gateways.length = 0;
  }
}
