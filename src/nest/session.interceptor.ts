import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import {
  catchError,
  concat,
  concatMap,
  defer,
  dematerialize,
  EMPTY,
  from,
  ignoreElements,
  materialize,
  throwError,
  type Observable,
} from 'rxjs';
import type { SessionManager } from '../core/session-manager.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { bindResponse, existingSessionOf } from '../http/request-session.js';
import { contextRequestOf } from './context-request.js';
import { takeEarlySession, withinMessage, type MessageScope } from './session-sockets.js';

/**
 * Commits the session at the end of each handler it applies to, for handlers that have no HTTP
 * response to hook: `@UseInterceptors(SessionInterceptor)` on a WebSocket gateway gives each
 * message one `SessionManager` (shared by `@Session()`, `@Segment()` and `SessionSockets.of()`)
 * and saves its writes once the handler has answered or thrown. On HTTP controllers and GraphQL
 * resolvers it is harmless but unneeded: the session is committed before the response anyway,
 * and it is not worth a global interceptor's cost on every request. RPC handlers pass through.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  /** @internal Nest injects it. */
  constructor(private readonly runtime: SessionRuntime) {}

  /**
   * Nest calls it around the handler: returns the handler's stream, with the session committed
   * before each value goes on (once at the end of a stream with none) and before an error goes
   * on; a failing commit reaches the client as the error instead. RPC handlers pass untouched.
   */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<string>();
    if (type === 'ws') {
      const scope: MessageScope = {
        client: context.switchToWs().getClient<object>(),
        runtime: this.runtime,
        session: takeEarlySession(context.getArgs()),
      };
      // Subscribed to within the message's scope, so that `SessionSockets.of()` in the values a
      // handler's stream produces later gets the message's session, committed with it.
      return committing(
        withinMessage(scope, () => next.handle()),
        () => scope.session,
      );
    }
    const behind = contextRequestOf(context);
    if (!behind) return next.handle();
    return committing(next.handle(), () => {
      const session = existingSessionOf(behind.request);
      if (session && behind.response !== undefined) bindResponse(behind.request, behind.response);
      return session;
    });
  }
}

/**
 * `source`, with the session `sessionOf()` returns (if any) committed before each value goes
 * on, or once at the end of a stream that gave none; on an error, committed before it goes on.
 */
function committing(
  source: Observable<unknown>,
  sessionOf: () => SessionManager | undefined,
): Observable<unknown> {
  return defer(() => {
    let committed = false;
    let commitFailed = false;
    const commit = async (): Promise<void> => {
      committed = true;
      try {
        await sessionOf()?.commit();
      } catch (error) {
        commitFailed = true;
        throw error;
      }
    };
    return concat(
      source.pipe(
        // As notifications, so that an error (or the end) waits in line behind the commit of the
        // value before it, rather than overtake it and drop that value.
        materialize(),
        concatMap(async (notification) => {
          if (notification.kind === 'N') await commit();
          return notification;
        }),
        dematerialize(),
      ),
      defer(() => (committed ? EMPTY : from(commit()).pipe(ignoreElements()))),
    ).pipe(
      catchError((error: unknown) => {
        if (commitFailed) return throwError(() => error);
        // Writes made before the error are kept, as on HTTP; a failing commit is reported instead.
        return from(commit()).pipe(concatMap(() => throwError(() => error)));
      }),
    );
  });
}
