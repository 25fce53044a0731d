import { RequestMethod, type CanActivate } from '@nestjs/common';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';
import type { SessionRuntime } from '../core/session-runtime.js';
import { csrfRouteGuard, useAppGuard } from './csrf-route-guard.js';

// Nest's metadata keys (`@nestjs/common/constants`, unchanged since Nest 5), which the package
// root does not export.
const GUARDS_METADATA = '__guards__';
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';

type Handler = (...args: unknown[]) => unknown;
type ClassType = abstract new (...args: never[]) => unknown;

// The token of the options every `GraphQLModule.forRoot()`/`forRootAsync()` provides
// (`GRAPHQL_MODULE_OPTIONS` of `@nestjs/graphql`): a string, so it survives a bundler that
// renames classes, as a minifying webpack or esbuild build does to `GraphQLModule` itself.
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/**
 * Whether the app serves GraphQL (`@nestjs/graphql`'s `GraphQLModule`, found by the token of its
 * options so that the package is never loaded). Its resolvers may be provided by factories or
 * values whose classes are unknown until they are built, after the guards of routes are read:
 * such an app keeps the CSRF guard global, where it reaches every resolver.
 */
export function servesGraphql(modules: ModulesContainer): boolean {
  for (const module of modules.values()) {
    if (module.providers.has(GRAPHQL_MODULE_OPTIONS)) return true;
  }
  return false;
}

/**
 * Attaches {@link csrfRouteGuard} to every HTTP route that takes a method the guard checks (or
 * any method, `@All()`). A global guard would cost every other route Nest's guard step (two
 * `async` functions and an execution context per request) for a check that returns at once. The
 * guard runs before the app's own guards of the controller, as a global guard did: in front of the
 * class's guards when it has some, else in front of the route's. It checks with `guard`, the app's
 * own `CsrfGuard`. Runs while Nest builds the app's providers, before it reads the guards of any
 * route.
 */
export function attachCsrfGuard(
  modules: ModulesContainer,
  runtime: SessionRuntime,
  guard: CanActivate,
  methods: readonly string[],
): void {
  useAppGuard(runtime, guard);
  const scanner = new MetadataScanner();
  const checked = (method: unknown): boolean => {
    const name = RequestMethod[(method ?? RequestMethod.GET) as RequestMethod];
    return name === 'ALL' || methods.includes(name);
  };
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as ClassType | null;
      if (!controller) continue;
      const routes = handlersOf(scanner, controller).filter(
        (handler) =>
          Reflect.getMetadata(PATH_METADATA, handler) !== undefined &&
          checked(Reflect.getMetadata(METHOD_METADATA, handler)),
      );
      if (routes.length === 0) continue;
      if (guardsOf(controller).length > 0) prependGuard(controller);
      else for (const route of routes) prependGuard(route);
    }
  }
}

function handlersOf(scanner: MetadataScanner, type: ClassType): Handler[] {
  const prototype = type.prototype as Record<string, unknown> | undefined;
  if (!prototype) return [];
  return scanner
    .getAllMethodNames(prototype)
    .map((name) => prototype[name])
    .filter((member): member is Handler => typeof member === 'function');
}

function guardsOf(target: object): unknown[] {
  const guards: unknown = Reflect.getMetadata(GUARDS_METADATA, target);
  return Array.isArray(guards) ? guards : [];
}

// A new array on the target itself: the one read may be a parent class's, or another target's.
function prependGuard(target: object): void {
  const guards = guardsOf(target);
  if (guards.includes(csrfRouteGuard)) return;
  Reflect.defineMetadata(GUARDS_METADATA, [csrfRouteGuard, ...guards], target);
}
