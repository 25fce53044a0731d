import type { ServerResponse } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';
import { SessionManager } from '../core/session-manager.js';
import type { SessionRuntime } from '../core/session-runtime.js';
import { holdResponseUntilCommitted } from './response-hold.js';
import { ExpressExchange, type ExpressRequestLike } from './express-exchange.js';
import {
  FastifyExchange,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify-exchange.js';

// Symbol-keyed slots: the runtime on the app's HTTP server instance, the session and the reply
// on the request object. Request context without request scope, and nothing done per request
// until something asks for the session.
const RUNTIME = Symbol('nest-aura-session.runtime');
const RESPONSE = Symbol('nest-aura-session.response');
const MANAGER = Symbol('nest-aura-session.manager');

interface RuntimeSlot {
  [RUNTIME]?: SessionRuntime;
}

interface SessionSlots {
  [RESPONSE]?: unknown;
  [MANAGER]?: SessionManager;
  /** Express: the application; Fastify: the (encapsulated) server instance. */
  app?: RuntimeSlot;
  server?: RuntimeSlot;
}

/** Makes `runtime` the session runtime of every request served by `httpInstance`. */
export function attachRuntime(httpInstance: object, runtime: SessionRuntime): void {
  (httpInstance as RuntimeSlot)[RUNTIME] = runtime;
}

/** Records the response of `request`, for frameworks whose request does not link to it (Fastify). */
export function bindResponse(request: object, response: unknown): void {
  (request as SessionSlots)[RESPONSE] = response;
}

/** The session of `request`, created on first use; the same object on every later call. */
export function sessionOf(request: object, runtime?: SessionRuntime): SessionManager {
  const slots = request as SessionSlots;
  const existing = slots[MANAGER];
  if (existing) return existing;
  const appRuntime = runtime ?? slots.app?.[RUNTIME] ?? slots.server?.[RUNTIME];
  if (!appRuntime) {
    throw new Error(
      'No session for this request: import SessionModule.forRoot() (or forRootAsync()) in the app module',
    );
  }
  const manager = new SessionManager(appRuntime, exchangeFor(request));
  slots[MANAGER] = manager;
  if (!isFastifyRequest(request)) {
    const res = (request as ExpressRequestLike).res as ServerResponse | undefined;
    if (res) holdResponseUntilCommitted(request, res, manager, appRuntime.logger);
  }
  return manager;
}

/** The session of `request` if something already asked for it. */
export function existingSessionOf(request: object): SessionManager | undefined {
  return (request as SessionSlots)[MANAGER];
}

/** The request's own origin (`https://host:port`), as its framework reports it (trust proxy included). */
export function originOf(request: object): string {
  return exchangeFor(request).origin();
}

// Fastify wraps Node's request in `raw`; Express extends Node's request itself.
function isFastifyRequest(request: object): boolean {
  return 'raw' in request && 'routeOptions' in request;
}

function exchangeFor(request: object): HttpExchange & { origin(): string } {
  const slots = request as SessionSlots;
  if (isFastifyRequest(request)) {
    return new FastifyExchange(
      request as unknown as FastifyRequestLike,
      () => slots[RESPONSE] as FastifyReplyLike | undefined,
    );
  }
  return new ExpressExchange(request as ExpressRequestLike);
}
