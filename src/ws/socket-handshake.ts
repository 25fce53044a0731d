import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { SessionRuntime } from '../core/session-runtime.js';
import { crossSiteReason } from '../http/cross-site.js';

/** What a socket's session needs from the HTTP request that opened the socket. */
export interface SocketHandshake {
  headers: IncomingHttpHeaders;
  /** Whether the handshake arrived over TLS. */
  secure: boolean;
  /** The sessions of the HTTP server the handshake reached, when it is one the module serves. */
  runtime: SessionRuntime | undefined;
}

/** The part of a Node HTTP server the socket glue uses. */
export interface UpgradeSource {
  listenerCount(event: 'upgrade'): number;
  prependListener(event: 'upgrade', listener: (request: IncomingMessage) => void): unknown;
  on(event: 'newListener', listener: (event: string | symbol) => void): unknown;
  off(event: 'newListener', listener: (event: string | symbol) => void): unknown;
}

/** socket.io's `Socket`: it keeps its handshake, and reaches its HTTP server. */
interface SocketIoClientLike {
  handshake: { headers: IncomingHttpHeaders; secure: boolean };
  nsp?: { server?: { httpServer?: object } };
}

/** A `ws` `WebSocket`: its handshake is only known through its TCP socket. */
interface WsClientLike {
  _socket?: object;
}

const runtimes = new WeakMap<object, SessionRuntime>();
// Keyed by TCP socket: `ws` hands its connection handler the upgrade request, but keeps no link
// from the WebSocket to it, while both share the TCP socket.
const upgrades = new WeakMap<object, SocketHandshake>();
const verdicts = new WeakMap<object, boolean>();

/**
 * Serves socket sessions on the app's HTTP server: socket.io sockets find `runtime` through it,
 * and `ws` handshakes are recorded as they arrive. The recorder is only installed once something
 * listens for upgrades (a gateway), since a lone `upgrade` listener would change how Node treats
 * upgrade requests of apps without one.
 */
export function serveSocketSessions(server: UpgradeSource, runtime: SessionRuntime): void {
  runtimes.set(server, runtime);
  const record = (request: IncomingMessage) => {
    const socket = request.socket as (object & { encrypted?: boolean }) | undefined;
    if (!socket) return;
    upgrades.set(socket, {
      headers: request.headers,
      secure: socket.encrypted === true,
      runtime,
    });
  };
  if (server.listenerCount('upgrade') > 0) {
    server.prependListener('upgrade', record);
    return;
  }
  const watch = (event: string | symbol) => {
    if (event !== 'upgrade') return;
    server.off('newListener', watch);
    // Called before the new listener is added: the recorder still runs first.
    server.prependListener('upgrade', record);
  };
  server.on('newListener', watch);
}

/** The handshake of a socket.io or `ws` client; `undefined` when it is not known. */
export function handshakeOf(client: unknown): SocketHandshake | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const io = client as Partial<SocketIoClientLike>;
  if (typeof io.handshake === 'object' && io.handshake !== null) {
    const httpServer = io.nsp?.server?.httpServer;
    return {
      headers: io.handshake.headers,
      secure: io.handshake.secure === true,
      runtime: httpServer ? runtimes.get(httpServer) : undefined,
    };
  }
  const tcp = (client as WsClientLike)._socket;
  return tcp ? upgrades.get(tcp) : undefined;
}

/**
 * The session cookie a socket may use: its handshake's, unless a browser opened it from another
 * site (an `Origin` that is neither the server's own nor in `trustedOrigins`, or Fetch Metadata
 * saying cross-site), which would let any page ride on the user's cookie.
 */
export function socketCookieOf(
  client: object,
  handshake: SocketHandshake | undefined,
  trustedOrigins: readonly string[],
): string | undefined {
  if (!handshake) return undefined;
  let allowed = verdicts.get(client);
  if (allowed === undefined) {
    const ownOrigin = () =>
      `${handshake.secure ? 'https' : 'http'}://${handshake.headers.host ?? ''}`;
    allowed = crossSiteReason(handshake.headers, ownOrigin, trustedOrigins) === undefined;
    verdicts.set(client, allowed);
  }
  return allowed ? handshake.headers.cookie : undefined;
}
