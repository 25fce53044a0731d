import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionManager } from '../core/session-manager.js';
import { bindResponse, sessionOf } from '../http/request-session.js';

/** The request's session, for code that has an execution context (decorators, guards). */
export function sessionFromContext(context: ExecutionContext): SessionManager {
  const http = context.switchToHttp();
  const request = http.getRequest<object>();
  bindResponse(request, http.getResponse());
  return sessionOf(request);
}

/**
 * Hands the request's {@link SessionManager} to a handler without making the controller
 * request-scoped: `show(@Session() session: SessionManager)`.
 */
export const Session = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  sessionFromContext(context),
);
