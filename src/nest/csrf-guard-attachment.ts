import { RequestMethod, type CanActivate } from '@nestjs/common';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';
import type { SessionRuntime } from '../core/session-runtime.js';
import { csrfRouteGuard, recordAttachment, useAppGuard } from './csrf-route-guard.js';

// Nest's metadata keys (`@nestjs/common/constants`, unchanged since Nest 5), which the package
// root does not export, and the keys `@nestjs/graphql` puts on resolvers, read without loading it.
const GUARDS_METADATA = '__guards__';
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const RESOLVER_METADATA = ['graphql:resolver_type', 'graphql:resolver_name'];

type Handler = (...args: unknown[]) => unknown;
type ClassType = abstract new (...args: never[]) => unknown;

/**
 * Attaches {@link csrfRouteGuard} where a CSRF check can refuse something: to every HTTP route
 * that takes a method the guard checks (or any method, `@All()`), and to every GraphQL resolver
 * class. A global guard would cost every other route Nest's guard step (two `async` functions and
 * an execution context per request) for a check that returns at once. The guard runs before the
 * app's own guards of the controller or resolver, as a global guard did: in front of the class's
 * guards when it has some, else in front of the route's, and checks with `guard`, the app's own
 * `CsrfGuard`. Runs while Nest builds the app's providers, before it reads the guards of any
 * route or resolver.
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
    for (const wrapper of module.providers.values()) {
      const provider = wrapper.metatype as ClassType | null;
      if (!provider || !isResolver(scanner, provider)) continue;
      recordAttachment(provider, runtime);
      prependGuard(provider);
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

function isResolver(scanner: MetadataScanner, type: ClassType): boolean {
  const marked = (target: object) =>
    RESOLVER_METADATA.some((key) => Reflect.hasMetadata(key, target));
  return marked(type) || handlersOf(scanner, type).some(marked);
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
