import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { SessionRuntime } from '../core/session-runtime.js';
import { runtimeOf } from '../http/request-session.js';
import { contextRequestOf } from './context-request.js';

// The classes whose handlers the guard was attached to, with the runtime of the last app that
// attached it: the one that checks a GraphQL operation whose request names no app.
const attachedBy = new WeakMap<object, SessionRuntime>();

// Each app's own CsrfGuard, as its injector made it (so `overrideProvider(CsrfGuard)` in a test
// applies): each checks with its app's options, sessions and store.
const guards = new WeakMap<SessionRuntime, CanActivate>();

/**
 * The CSRF guard `SessionModule` attaches to the routes and resolvers that need it. One object
 * for the whole process, because it sits in the metadata of controller classes, which every Nest
 * app of a process shares: it finds the app of each request through the request itself and
 * checks with that app's `CsrfGuard`, and lets through the requests of an app without sessions
 * or with the guard turned off.
 */
export const csrfRouteGuard: CanActivate = {
  canActivate(context: ExecutionContext) {
    const runtime = runtimeOfContext(context);
    const guard = runtime && guards.get(runtime);
    return guard ? guard.canActivate(context) : true;
  },
};

/** Makes `guard` the check of `runtime`'s app, whose CSRF guard is on. */
export function useAppGuard(runtime: SessionRuntime, guard: CanActivate): void {
  guards.set(runtime, guard);
}

/** Records that `runtime`'s app attached {@link csrfRouteGuard} to the handlers of `target`. */
export function recordAttachment(target: object, runtime: SessionRuntime): void {
  attachedBy.set(target, runtime);
}

// An HTTP request is the framework's own, and every app with sessions marks its framework, so an
// unmarked one is an app without sessions. A GraphQL context may hand over a request the app's
// own context function built, or none (over WebSocket): those are checked by the app that attached
// the guard, never let through unchecked.
function runtimeOfContext(context: ExecutionContext): SessionRuntime | undefined {
  const type = context.getType<string>();
  if (type === 'http') return runtimeOf(context.getArgByIndex<object>(0));
  if (type !== 'graphql') return undefined;
  const request = contextRequestOf(context)?.request;
  return (request && runtimeOf(request)) ?? attachedBy.get(context.getClass());
}
