import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionManager } from '../core/session-manager.js';
import { bindResponse, sessionOf } from '../http/request-session.js';
import { contextRequestOf } from './context-request.js';
import { socketSession } from './session-sockets.js';

/**
 * The session of whatever a handler serves, for code that has an execution context (decorators,
 * guards, interceptors): the HTTP request's behind a controller or a GraphQL resolver, the
 * socket's behind a WebSocket message handler.
 */
export function sessionFromContext(context: ExecutionContext): SessionManager {
  const type = context.getType<string>();
  if (type === 'ws') return socketSession(context.switchToWs().getClient<object>());
  const behind = contextRequestOf(context);
  if (!behind) {
    throw new Error(
      type === 'graphql'
        ? 'No session for this GraphQL operation: it has no HTTP request behind it (a subscription over WebSocket?)'
        : `No session in a "${type}" handler: sessions belong to HTTP requests, GraphQL operations and WebSocket messages`,
    );
  }
  if (behind.response !== undefined) bindResponse(behind.request, behind.response);
  return sessionOf(behind.request);
}

/**
 * Hands the {@link SessionManager} to a handler without making the controller request-scoped:
 * `show(@Session() session: SessionManager)`. Works in controllers, GraphQL resolvers and
 * `@SubscribeMessage` handlers.
 */
export const Session = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  sessionFromContext(context),
);
