import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SessionRuntime } from '../core/session-runtime.js';
import { runtimeOf } from '../http/request-session.js';
import { contextRequestOf } from './context-request.js';
import { CsrfGuard } from './csrf.guard.js';

// The classes whose handlers the guard was attached to, with the runtime of the last app that
// attached it: the one a GraphQL mutation with no HTTP request behind it (over WebSocket) is
// refused for, since such an operation names no app of its own.
const attachedBy = new WeakMap<object, SessionRuntime>();

// One CsrfGuard per app: each checks with its own options, sessions and store.
const guards = new WeakMap<SessionRuntime, CsrfGuard>();
const reflector = new Reflector();

/**
 * The CSRF guard `SessionModule` attaches to the routes and resolvers that need it. One object
 * for the whole process, because it sits in the metadata of controller classes, which every Nest
 * app of a process shares: it finds the app of each request through the request itself and
 * checks with that app's options, and lets through the requests of an app without sessions or
 * with the guard turned off.
 */
export const csrfRouteGuard: CanActivate = {
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const runtime = runtimeOfContext(context);
    const csrf = runtime?.config.csrf;
    if (!runtime || !csrf || !csrf.guard) return true;
    let guard = guards.get(runtime);
    if (!guard) {
      guard = new CsrfGuard(runtime, reflector);
      guards.set(runtime, guard);
    }
    return guard.canActivate(context);
  },
};

/** Records that `runtime`'s app attached {@link csrfRouteGuard} to the handlers of `target`. */
export function recordAttachment(target: object, runtime: SessionRuntime): void {
  attachedBy.set(target, runtime);
}

function runtimeOfContext(context: ExecutionContext): SessionRuntime | undefined {
  const type = context.getType<string>();
  if (type !== 'http' && type !== 'graphql') return undefined;
  const request = contextRequestOf(context)?.request;
  if (request) return runtimeOf(request);
  return attachedBy.get(context.getClass());
}
