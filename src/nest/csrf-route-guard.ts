import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { SessionRuntime } from '../core/session-runtime.js';
import { runtimeOf } from '../http/request-session.js';

// Each app's own CsrfGuard, as its injector made it (so `overrideProvider(CsrfGuard)` in a test
// applies): each checks with its app's options, sessions and store.
const guards = new WeakMap<SessionRuntime, CanActivate>();

/**
 * The CSRF guard `SessionModule` attaches to the HTTP routes that need it. One object for the
 * whole process, because it sits in the metadata of controller classes, which every Nest app of a
 * process shares: it finds the app of each request through the request itself (every app with
 * sessions marks its HTTP server) and checks with that app's `CsrfGuard`, and lets through the
 * requests of an app without sessions or with the guard turned off.
 */
export const csrfRouteGuard: CanActivate = {
  canActivate(context: ExecutionContext) {
    if (context.getType<string>() !== 'http') return true;
    const runtime = runtimeOf(context.getArgByIndex<object>(0));
    const guard = runtime && guards.get(runtime);
    return guard ? guard.canActivate(context) : true;
  },
};

/** Makes `guard` the check of `runtime`'s app, whose CSRF guard is on. */
export function useAppGuard(runtime: SessionRuntime, guard: CanActivate): void {
  guards.set(runtime, guard);
}
