import { ServerResponse } from 'node:http';
import type { HttpExchange } from '../core/http-exchange.js';
import { newSessionManager, type SessionManager } from '../core/session-manager.js';
import { SessionError } from '../core/errors.js';
import type { SessionRuntime } from '../core/session-runtime.js';
import { holdResponseUntilCommitted, isHeld } from './response-hold.js';
import { ExpressExchange, type ExpressRequestLike } from './express-exchange.js';
import {
  FastifyExchange,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify-exchange.js';
import {
  FastifyMiddlewareExchange,
  type RawFastifyRequestLike,
} from './fastify-middleware-exchange.js';

// Symbol-keyed slots: the binding on the app's HTTP server instance, the session and the reply
// on the request object. Request context without request scope, and nothing done per request
// until something asks for the session.
const BINDING = Symbol('nest-aura-session.binding');
const RESPONSE = Symbol('nest-aura-session.response');
const MANAGER = Symbol('nest-aura-session.manager');

// An Express request's session is kept beside the request, not on it. Express swaps the
// prototype of every request and then adds properties to it, and V8 builds a new hidden class
// for every property added after a prototype swap, so no two Express requests share one: a
// property added here would make V8 build yet another, about ten times what a WeakMap entry costs.
// Fastify's requests share their hidden class, and there a property is the cheaper of the two.
const expressSessions = new WeakMap<object, SessionManager>();

// Sessions a Nest middleware asked for on Fastify, by Node's own request, which is all such a
// middleware gets: Fastify's request takes each over when its handler or its reply asks for its
// session. Looked at only once there has been one, so other apps pay nothing for it.
const middlewareSessions = new WeakMap<
  object,
  { manager: SessionManager; exchange: FastifyMiddlewareExchange }
>();
let middlewareSessionsSeen = false;

// The runtimes of Fastify apps: the only ones whose sessions are asked for by Node's own request.
const fastifyRuntimes = new WeakSet<SessionRuntime>();

/** The runtime of an app's requests and their framework; chosen once, when the app starts. */
interface HttpBinding {
  readonly runtime: SessionRuntime;
  readonly framework: HttpFramework;
  /** Express: the app's response prototype holds responses for their session's commit. */
  readonly heldByPrototype?: boolean;
}

interface BindingSlot {
  [BINDING]?: HttpBinding;
}

interface SessionSlots {
  [RESPONSE]?: unknown;
  [MANAGER]?: SessionManager;
  /** Express: the application; Fastify: the (encapsulated) server instance. */
  app?: BindingSlot;
  server?: BindingSlot;
}

/** The HTTP frameworks whose requests carry sessions. */
export type HttpFramework = 'express' | 'fastify';

/**
 * Makes `runtime` the session runtime of every request served by `httpInstance`. Refuses a second
 * runtime for the same server: the module imported twice in one app, where each import has its own
 * options and store, one of them would serve every route, and what injects the other (a
 * `SessionRegistry`, say) would see none of its sessions.
 */
export function attachRuntime(
  httpInstance: object,
  runtime: SessionRuntime,
  framework: HttpFramework,
  heldByPrototype = false,
): void {
  const attached = (httpInstance as BindingSlot)[BINDING];
  if (attached && attached.runtime !== runtime) {
    throw new SessionError(
      'SESSION_OPTIONS_INVALID',
      'SessionModule is imported more than once in this app, or a second Nest app with its own SessionModule shares this HTTP server instance (one Express app or Fastify instance handed to both adapters): each import has its own options and store, and only one can serve the routes of one server instance. Import SessionModule.forRoot() (or forRootAsync()) once, in the root module: the module is global, so feature modules inject SessionManager and SessionRegistry without importing it. Give each Nest app with sessions its own Express app or Fastify instance',
    );
  }
  (httpInstance as BindingSlot)[BINDING] = { runtime, framework, heldByPrototype };
  if (framework === 'fastify') fastifyRuntimes.add(runtime);
}

/** Records the response of `request`, for frameworks whose request does not link to it (Fastify). */
export function bindResponse(request: object, response: unknown): void {
  // An Express response is Node's own, and its request links to it already (`req.res`, which is
  // what its exchange reads). `instanceof` only walks prototypes: reading or adding a property on
  // an Express request or response would miss V8's caches.
  if (response instanceof ServerResponse) return;
  (request as SessionSlots)[RESPONSE] = response;
}

/** The session of `request`, created on first use; the same object on every later call. */
export function sessionOf(request: object, runtime?: SessionRuntime): SessionManager {
  const held = expressSessions.get(request);
  if (held) return held;
  if (runtime && fastifyRuntimes.has(runtime) && !isFastifyRequest(request)) {
    return middlewareSession(request as RawFastifyRequestLike, runtime);
  }
  const binding = bindingOf(request, runtime);
  // An Express request's session is only ever in the WeakMap: looking for the slot on the request
  // would be a lookup through its whole prototype chain, missing V8's caches, on every first use.
  const slot = binding?.framework === 'express' ? undefined : (request as SessionSlots)[MANAGER];
  if (slot) return slot;
  if (!binding) throw noSessionModule();
  const { runtime: appRuntime, framework, heldByPrototype = false } = binding;
  if (framework !== 'express' && middlewareSessionsSeen) {
    const early = adoptMiddlewareSession(request);
    if (early) return early;
  }
  const manager = newSessionManager(appRuntime, exchangeFor(framework, request));
  // Fastify's onSend hook commits sessions; an Express response is held until it is committed.
  if (framework !== 'express') {
    (request as SessionSlots)[MANAGER] = manager;
    return manager;
  }
  expressSessions.set(request, manager);
  const res = (request as ExpressRequestLike).res;
  if (res) {
    holdResponseUntilCommitted(
      request,
      res as ServerResponse,
      manager,
      appRuntime.logger,
      heldByPrototype,
      () => expressSessions.delete(request),
    );
  }
  return manager;
}

/**
 * Fastify: makes the raw response of `request` wait for its session's commit, for a route that
 * may answer on `reply.raw` without `reply.send()` (an `@Sse()` route, a handler that takes
 * `@Res()`), where the `onSend` hook that commits sessions never runs. Call after
 * {@link sessionOf}; once per request is enough, and an Express response is held already.
 */
export function holdRawResponse(request: object, session: SessionManager): void {
  const binding = attachedBinding(request);
  if (binding?.framework !== 'fastify') return;
  const reply = (request as SessionSlots)[RESPONSE] as FastifyReplyLike | undefined;
  if (!reply || isHeld(reply.raw)) return;
  // Once the handler answers on `reply.raw`, Fastify must not answer too. Held, the raw response
  // has not sent its headers, and Fastify sends a reply of its own for a handler that returned
  // nothing while they are not sent (a stream that ended before its commit did): the hold would
  // then have two answers to write.
  const answeredRaw = () => reply.hijack();
  holdResponseUntilCommitted(
    request,
    reply.raw,
    session,
    binding.runtime.logger,
    false,
    noop,
    answeredRaw,
  );
}

function noop(): void {}

/** The session of `request` if something already asked for it. */
export function existingSessionOf(request: object): SessionManager | undefined {
  // The WeakMap first: a miss there is cheap, a missing property on an Express request is not.
  return expressSessions.get(request) ?? existingFastifySessionOf(request);
}

/** The session of a Fastify `request` if something already asked for it. */
export function existingFastifySessionOf(request: object): SessionManager | undefined {
  const session = (request as SessionSlots)[MANAGER];
  if (session || !middlewareSessionsSeen) return session;
  return adoptMiddlewareSession(request);
}

/** The session a middleware asks for by Node's own request; the same one on later calls. */
function middlewareSession(raw: RawFastifyRequestLike, runtime: SessionRuntime): SessionManager {
  const known = middlewareSessions.get(raw);
  if (known) return known.manager;
  const exchange = new FastifyMiddlewareExchange(raw, (message) => runtime.warnOnce(message));
  const manager = newSessionManager(runtime, exchange);
  middlewareSessions.set(raw, { manager, exchange });
  middlewareSessionsSeen = true;
  return manager;
}

/**
 * Makes the session a middleware asked for (by Node's own request) the session of Fastify's
 * `request`, so its handler gets the same one and the reply commits it; `undefined` if none did.
 */
function adoptMiddlewareSession(request: object): SessionManager | undefined {
  const raw = (request as Partial<FastifyRequestLike>).raw;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const early = middlewareSessions.get(raw);
  if (!early) return undefined;
  middlewareSessions.delete(raw);
  early.exchange.attach(exchangeFor('fastify', request));
  (request as SessionSlots)[MANAGER] = early.manager;
  return early.manager;
}

/** The request's own origin (`https://host:port`), as its framework reports it (trust proxy included). */
export function originOf(request: object): string {
  const framework = bindingOf(request, undefined)?.framework ?? frameworkOf(request);
  return exchangeFor(framework, request).origin();
}

/** The session runtime of the app that serves `request`; `undefined` for an app without sessions. */
export function runtimeOf(request: object): SessionRuntime | undefined {
  return attachedBinding(request)?.runtime;
}

/** Like {@link runtimeOf}, but an app without sessions is an error that names the missing import. */
export function requireRuntimeOf(request: object): SessionRuntime {
  const runtime = runtimeOf(request);
  if (!runtime) throw noSessionModule();
  return runtime;
}

function noSessionModule(): Error {
  return new Error(
    'No session for this request: import SessionModule.forRoot() (or forRootAsync()) in the app module',
  );
}

/**
 * The binding the app's HTTP server put on its requests; for a request that did not come through
 * it (a GraphQL or WebSocket context handing over its own request object), one for its framework.
 */
function bindingOf(request: object, runtime: SessionRuntime | undefined): HttpBinding | undefined {
  return attachedBinding(request) ?? (runtime && { runtime, framework: frameworkOf(request) });
}

function attachedBinding(request: object): HttpBinding | undefined {
  const slots = request as SessionSlots;
  return slots.app?.[BINDING] ?? slots.server?.[BINDING];
}

// Fastify wraps Node's request in `raw`; Express extends Node's request itself.
function frameworkOf(request: object): HttpFramework {
  return isFastifyRequest(request) ? 'fastify' : 'express';
}

function isFastifyRequest(request: object): boolean {
  return 'raw' in request && 'routeOptions' in request;
}

function exchangeFor(
  framework: HttpFramework,
  request: object,
): HttpExchange & { origin(): string } {
  if (framework === 'fastify') {
    return new FastifyExchange(
      request as unknown as FastifyRequestLike,
      () => (request as SessionSlots)[RESPONSE] as FastifyReplyLike | undefined,
    );
  }
  return new ExpressExchange(request as ExpressRequestLike);
}
