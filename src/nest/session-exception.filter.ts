import { Catch, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import {
  failureResponseOf,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionUnavailableError,
  type SessionFailureResponse,
} from '../core/errors.js';
import { RepeatedWarnings } from '../core/repeated-warnings.js';
import type { SessionLogger } from '../core/session-logger.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { GraphqlExtensionsError } from './graphql-error.js';

/** What a client is told when a write needs a session the connection cannot start. */
const SESSION_UNAVAILABLE = {
  statusCode: 403,
  error: 'Forbidden',
  message: 'No live session: sign in again',
  reason: 'session_unavailable',
} as const;

/** A WebSocket client as Nest's adapters know it: socket.io's `emit`, or `ws`'s `send`. */
interface SocketClientLike {
  readyState?: unknown;
  send?: (data: string) => unknown;
  emit?: (event: string, payload: unknown) => unknown;
}

/**
 * Answers session failures in the shape each kind of handler answers errors in. HTTP: 503 when
 * the store is down or slow (never "no session", which would log the user out), 413 when a
 * write breaks `maxSize`, 403 (`session_unavailable`) when a write needs a session that cannot be
 * started. GraphQL: an error whose `extensions.code` is
 * `SESSION_STORE_UNAVAILABLE`, `SESSION_TOO_LARGE` or `SESSION_UNAVAILABLE`. WebSocket (with
 * `@UseFilters(SessionExceptionFilter)` on the gateway, as Nest applies no global filter there):
 * the adapter's usual `exception` event, `{ status: 'error', message, reason }`. RPC: an RPC
 * error to the caller with the same `reason`. Registered globally by `SessionModule`; costs
 * nothing where nothing fails.
 */
@Catch(SessionStoreUnavailableError, SessionTooLargeError, SessionUnavailableError)
export class SessionExceptionFilter implements ExceptionFilter {
  // The app's session logger when Nest builds the filter, so that an outage's failures are
  // counted in one place, whichever part of a request met them.
  private readonly logger: SessionLogger;

  /** @internal Nest injects them; `new SessionExceptionFilter()` has none (see `catch`). */
  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() runtime?: SessionRuntime,
  ) {
    this.logger = runtime?.logger ?? new RepeatedWarnings(new Logger('SessionModule'));
  }

  /**
   * Nest calls it with a session failure a handler, guard or interceptor threw: logs its message
   * as a warning (one like it within 10 s is counted, not repeated) and answers the client in its
   * handler's way (an HTTP status and JSON body, a GraphQL error, a WebSocket `exception` event,
   * an RPC error), as the class describes.
   */
  catch(
    error: SessionStoreUnavailableError | SessionTooLargeError | SessionUnavailableError,
    host: ArgumentsHost,
  ): void | Observable<never> {
    const failure: SessionFailureResponse | typeof SESSION_UNAVAILABLE =
      failureResponseOf(error) ?? SESSION_UNAVAILABLE;
    this.logger.warn(error.message);
    const type = host.getType<string>();
    if (type === 'http') {
      const response = host.switchToHttp().getResponse<HttpResponseLike>();
      const adapter = this.adapterHost?.httpAdapter;
      if (adapter) adapter.reply(response, failure, failure.statusCode);
      else replyWithoutAdapter(response, failure);
      return;
    }
    if (type === 'graphql') {
      throw new GraphqlExtensionsError(failure.message, {
        code: failure.reason.toUpperCase(),
        reason: failure.reason,
      });
    }
    const payload = { status: 'error', message: failure.message, reason: failure.reason };
    if (type === 'ws')
      return emitException(host.switchToWs().getClient<SocketClientLike>(), payload);
    return throwError(() => ({ ...payload, statusCode: failure.statusCode }));
  }
}

/** An Express response or a Fastify reply, as far as answering JSON goes. */
interface HttpResponseLike {
  status?: (code: number) => { json(body: unknown): unknown };
  code?: (code: number) => { send(body: unknown): unknown };
}

/**
 * Answers as Nest's Express and Fastify adapters do in `reply()`, for a filter made with `new`
 * (`@UseFilters(new SessionExceptionFilter())`), which Nest does not inject.
 */
function replyWithoutAdapter(response: HttpResponseLike, failure: { statusCode: number }): void {
  if (typeof response.code === 'function') response.code(failure.statusCode).send(failure);
  else response.status!(failure.statusCode).json(failure);
}

// As Nest's own WebSocket exception filter does: a `ws` socket's `emit` would only fire locally.
function emitException(client: SocketClientLike, payload: object): void {
  if (typeof client.readyState === 'number' && typeof client.send === 'function') {
    client.send(JSON.stringify({ event: 'exception', data: payload }));
  } else if (typeof client.emit === 'function') {
    client.emit('exception', payload);
  }
}
