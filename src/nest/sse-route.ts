import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

// Nest's metadata key for `@Sse()` (`@nestjs/common/constants`, the same in Nest 11 and 12),
// which the package root does not export.
const SSE_METADATA = '__sse__';

const reflector = new Reflector();

// By handler, so a route's metadata is read once rather than on every request.
const sseHandlers = new WeakMap<object, boolean>();

/** Whether the handler behind `context` is an `@Sse()` route. */
export function isSseRoute(context: ExecutionContext): boolean {
  const handler = context.getHandler();
  let sse = sseHandlers.get(handler);
  if (sse === undefined) {
    sse = reflector.get<boolean | undefined>(SSE_METADATA, handler) === true;
    sseHandlers.set(handler, sse);
  }
  return sse;
}
