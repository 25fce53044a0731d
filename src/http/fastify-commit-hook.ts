import { failureResponseOf } from '../core/errors.js';
import type { SessionLogger } from '../core/session-logger.js';
import { existingSessionOf } from './request-session.js';

type Done = (error: Error | null, payload?: unknown) => void;

/** The part of a Fastify instance the hook needs. */
export interface FastifyHookHost {
  addHook(
    name: 'onSend',
    hook: (request: object, reply: FastifyHookReply, payload: unknown, done: Done) => void,
  ): unknown;
}

interface FastifyHookReply {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  removeHeader(name: string): unknown;
}

/**
 * Commits a session that is still pending when Fastify sends the reply (a handler that called
 * `reply.redirect()` itself), before the headers go out. Synchronous for every other request.
 */
export function installFastifyCommitHook(fastify: FastifyHookHost, logger: SessionLogger): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const session = existingSessionOf(request);
    if (!session?.needsCommit()) return done(null, payload);
    session.commit().then(
      () => done(null, payload),
      (error: unknown) => {
        const failure = failureResponseOf(error);
        if (!failure) {
          logger.warn(`Session not saved before the response: ${String(error)}`);
          return done(null, payload);
        }
        reply.code(failure.statusCode);
        reply.removeHeader('location');
        reply.removeHeader('content-length');
        reply.header('content-type', 'application/json; charset=utf-8');
        done(null, JSON.stringify(failure));
      },
    );
  });
}
