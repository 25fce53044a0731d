import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

// Nest's metadata keys (`@nestjs/common/constants`, the same in Nest 11 and 12), which the
// package root does not export.
const SSE_METADATA = '__sse__';
const ROUTE_ARGS_METADATA = '__routeArguments__';
const RESPONSE_PASSTHROUGH_METADATA = '__responsePassthrough__';
// `RouteParamtypes.RESPONSE` and `RouteParamtypes.NEXT`, likewise.
const RESPONSE_PARAM = 1;
const NEXT_PARAM = 2;

const reflector = new Reflector();

// By handler, so a route's metadata is read once rather than on every request.
const rawRoutes = new WeakMap<object, boolean>();

/**
 * Whether the route behind `context` may answer on Node's own response rather than through its
 * framework's: an `@Sse()` route (Nest writes its stream there), or a handler that takes the
 * response with `@Res()` (or `next` with `@Next()`) without `passthrough` and answers itself, where
 * it may write to `reply.raw` or call `reply.hijack()` on Fastify.
 */
export function answersOnRawResponse(context: ExecutionContext): boolean {
  const handler = context.getHandler() as () => unknown;
  let raw = rawRoutes.get(handler);
  if (raw === undefined) {
    raw = isSse(handler) || answersItself(context.getClass(), handler);
    rawRoutes.set(handler, raw);
  }
  return raw;
}

function isSse(handler: () => unknown): boolean {
  return reflector.get<boolean | undefined>(SSE_METADATA, handler) === true;
}

/** Nest's own test for a handler whose response Nest leaves alone. */
function answersItself(controller: object, handler: { name: string }): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) as
    Record<string, unknown> | undefined;
  // Keys are `${paramtype}:${index}` for Nest's own parameter decorators.
  const takesResponse = Object.keys(args ?? {}).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RESPONSE_PARAM || type === NEXT_PARAM;
  });
  if (!takesResponse) return false;
  return Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, handler.name) !== true;
}
