import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionManager } from '../core/session-manager.js';
import { sessionOf } from '../http/request-session.js';

/** The request's session, for code that has an execution context (decorators, guards). */
export function sessionFromContext(context: ExecutionContext): SessionManager {
  return sessionOf(context.switchToHttp().getRequest<object>());
}

/**
 * Hands the request's {@link SessionManager} to a handler without making the controller
 * request-scoped: `show(@Session() session: SessionManager)`.
 */
export const Session = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  sessionFromContext(context),
);
