import type { ServerResponse } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';
import { SessionManager } from '../core/session-manager.js';
import type { SessionRuntime } from '../core/session-runtime.js';
import { holdEndUntilCommitted } from './response-hold.js';
import {
  ExpressExchange,
  type ExpressRequestLike,
  type ExpressResponseLike,
} from './express-exchange.js';
import {
  FastifyExchange,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify-exchange.js';

// Symbol-keyed slots on the framework's request object: request context without request scope.
const RUNTIME = Symbol('nest-aura-session.runtime');
const RESPONSE = Symbol('nest-aura-session.response');
const MANAGER = Symbol('nest-aura-session.manager');

interface SessionSlots {
  [RUNTIME]?: SessionRuntime;
  [RESPONSE]?: unknown;
  [MANAGER]?: SessionManager;
}

/**
 * Records which app's session runtime and which response belong to `request`. Two property
 * writes: a request that never uses its session pays nothing more.
 */
export function bindRequest(request: object, response: unknown, runtime: SessionRuntime): void {
  const slots = request as SessionSlots;
  slots[RUNTIME] = runtime;
  slots[RESPONSE] = response;
}

/** The session of `request`, created on first use; the same object on every later call. */
export function sessionOf(request: object, runtime?: SessionRuntime): SessionManager {
  const slots = request as SessionSlots;
  const existing = slots[MANAGER];
  if (existing) return existing;
  const boundRuntime = runtime ?? slots[RUNTIME];
  if (!boundRuntime) {
    throw new Error(
      'No session for this request: import SessionModule.forRoot() (or forRootAsync()) in the app module',
    );
  }
  const manager = new SessionManager(boundRuntime, exchangeFor(request));
  slots[MANAGER] = manager;
  if (!isFastifyRequest(request)) {
    const res = (slots[RESPONSE] ?? (request as ExpressRequestLike).res) as
      ServerResponse | undefined;
    if (res) holdEndUntilCommitted(res, manager, boundRuntime.logger);
  }
  return manager;
}

/** The session of `request` if something already asked for it. */
export function existingSessionOf(request: object): SessionManager | undefined {
  return (request as SessionSlots)[MANAGER];
}

// Fastify wraps Node's request in `raw`; Express extends Node's request itself.
function isFastifyRequest(request: object): boolean {
  return 'raw' in request && 'routeOptions' in request;
}

/** The request's own origin (`https://host:port`), as its framework reports it (trust proxy included). */
export function originOf(request: object): string {
  return exchangeFor(request).origin();
}

function exchangeFor(request: object): HttpExchange & { origin(): string } {
  const slots = request as SessionSlots;
  if (isFastifyRequest(request)) {
    return new FastifyExchange(
      request as unknown as FastifyRequestLike,
      () => slots[RESPONSE] as FastifyReplyLike | undefined,
    );
  }
  return new ExpressExchange(
    request as ExpressRequestLike,
    () => slots[RESPONSE] as ExpressResponseLike | undefined,
  );
}
