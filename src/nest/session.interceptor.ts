import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, from, map, mergeMap, of, throwError, type Observable } from 'rxjs';
import { SessionRuntime } from '../core/session-runtime.js';
import { bindRequest, existingSessionOf } from '../http/request-session.js';
import { toHttpError } from './session-http-error.js';

/**
 * Commits a session the handler used before the response goes out, so Set-Cookie is on that
 * response and the next request (after a redirect, say) sees the write. Registered globally by
 * `SessionModule`. A request that never asked for its session costs two property writes.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  private readonly logger = new Logger('SessionModule');

  constructor(private readonly runtime: SessionRuntime) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    bindRequest(request, http.getResponse(), this.runtime);
    return next.handle().pipe(
      mergeMap((value) => {
        const session = existingSessionOf(request);
        return session ? from(session.commit()).pipe(map(() => value)) : of(value);
      }),
      catchError((error: unknown) => {
        const session = existingSessionOf(request);
        const failure = toHttpError(error);
        if (!session || failure !== error) return throwError(() => failure);
        // The handler failed but may have written (a flash message before a 400): save it.
        return from(
          session.commit().catch((commitError: unknown) => {
            this.logger.warn(`Session not saved after a failed request: ${String(commitError)}`);
          }),
        ).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
