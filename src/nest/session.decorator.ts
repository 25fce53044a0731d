import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionManager } from '../core/session-manager.js';
import { bindResponse, holdRawResponse, sessionOf } from '../http/request-session.js';
import { contextRequestOf, noGraphqlSessionError } from './context-request.js';
import { gatewayRuntimeOf, socketSession } from './session-sockets.js';
import { answersOnRawResponse } from './raw-response-route.js';

/**
 * The session of whatever a handler serves, for code that has an execution context (guards,
 * interceptors, decorators of your own): the HTTP request's behind a controller or a GraphQL
 * resolver, the socket's behind a WebSocket message handler (a gateway guard's too, which
 * `SessionInterceptor` then takes over). The same object `@Session()` gives the handler. Unlike an
 * injected `SessionManager`, it leaves the guard or interceptor a singleton:
 * `sessionFromContext(context).newSegment('App\\Auth').get('user')` in `canActivate(context)`.
 * Throws for a context that has no session (an RPC handler, an operation over a GraphQL
 * WebSocket transport).
 */
export function sessionFromContext(context: ExecutionContext): SessionManager {
  const type = context.getType<string>();
  if (type === 'ws') {
    const client = context.switchToWs().getClient<object>();
    return socketSession(client, gatewayRuntimeOf(context.getClass()), context.getArgs());
  }
  const behind = contextRequestOf(context);
  if (!behind) {
    if (type === 'graphql') throw noGraphqlSessionError();
    throw new Error(
      `No session in a "${type}" handler: sessions belong to HTTP requests, GraphQL operations and WebSocket messages`,
    );
  }
  if (behind.response !== undefined) bindResponse(behind.request, behind.response);
  const session = sessionOf(behind.request);
  if (type === 'http' && answersOnRawResponse(context)) holdRawResponse(behind.request, session);
  return session;
}

/**
 * Hands the {@link SessionManager} to a handler without making the controller request-scoped:
 * `show(@Session() session: SessionManager)`. Works in controllers, GraphQL resolvers and
 * `@SubscribeMessage` handlers. Takes no argument (a data key or a pipe would have nothing to act
 * on: the session is a live object, not request data).
 */
export const Session: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => sessionFromContext(context),
);
