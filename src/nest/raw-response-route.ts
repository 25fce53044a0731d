import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

// Nest's metadata keys (`@nestjs/common/constants`, the same in Nest 11 and 12), which the
// package root does not export.
const SSE_METADATA = '__sse__';
const ROUTE_ARGS_METADATA = '__routeArguments__';
// `RouteParamtypes.RESPONSE` and `RouteParamtypes.NEXT`, likewise.
const RESPONSE_PARAM = 1;
const NEXT_PARAM = 2;

const reflector = new Reflector();

// By handler, so a route's metadata is read once rather than on every request.
const rawRoutes = new WeakMap<object, boolean>();

/**
 * Whether the route behind `context` may answer on Node's own response rather than through its
 * framework's: an `@Sse()` route (Nest writes its stream there), or a handler that takes the
 * response with `@Res()` (or `next` with `@Next()`), where it may write to `reply.raw` or call
 * `reply.hijack()` on Fastify. With `passthrough` too: such a handler usually lets Nest send what it
 * returns, but nothing stops it from answering on `reply.raw`, and a held response that is
 * answered through `reply.send()` costs nothing more.
 */
export function answersOnRawResponse(context: ExecutionContext): boolean {
  const handler = context.getHandler() as () => unknown;
  let raw = rawRoutes.get(handler);
  if (raw === undefined) {
    raw = isSse(handler) || takesResponse(context.getClass(), handler);
    rawRoutes.set(handler, raw);
  }
  return raw;
}

function isSse(handler: () => unknown): boolean {
  return reflector.get<boolean | undefined>(SSE_METADATA, handler) === true;
}

/** Whether the handler takes the response (`@Res()`) or `next` (`@Next()`). */
function takesResponse(controller: object, handler: { name: string }): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) as
    Record<string, unknown> | undefined;
  // Keys are `${paramtype}:${index}` for Nest's own parameter decorators.
  return Object.keys(args ?? {}).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RESPONSE_PARAM || type === NEXT_PARAM;
  });
}
