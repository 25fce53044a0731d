import type { ServerResponse } from 'node:http';
import { failureResponseOf } from '../core/errors.js';
import { coreOf } from '../core/session-manager.js';
import type { SessionLogger } from '../core/session-logger.js';
import { graphqlFailureBody, graphqlFailureContentType } from './graphql-failure.js';
import { isGraphqlRequest } from './graphql-request.js';
import { REPLACED_RESPONSE_HEADERS } from './replaced-response-headers.js';
import { frameworkAnswers } from './response-hold.js';
import { bindResponse, existingFastifySessionOf } from './request-session.js';

type Done = (error: Error | null, payload?: unknown) => void;

/** The part of a Fastify instance the hook needs. */
export interface FastifyHookHost {
  addHook(
    name: 'onSend',
    hook: (request: object, reply: FastifyHookReply, payload: unknown, done: Done) => void,
  ): unknown;
}

interface FastifyHookReply {
  readonly statusCode: number;
  send(payload?: unknown): unknown;
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  raw: ServerResponse;
}

/**
 * Commits a used session when Fastify sends the reply, before the headers go out, whatever sent
 * it: a returned value, `@Redirect`, an exception filter, `reply.redirect()` in the handler.
 * Synchronous for requests that did not use their session. A failed commit replaces the payload
 * with the HTTP error (503, 413), or with a GraphQL error for a GraphQL request.
 */
export function installFastifyCommitHook(fastify: FastifyHookHost, logger: SessionLogger): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const session = existingFastifySessionOf(request);
    if (!session) return done(null, payload);
    // On a route that may answer on `reply.raw`, the hold on it sees this reply's headers first:
    // they are Fastify's, and Fastify goes on answering. (Once the handler answers on `reply.raw`
    // first, the hold hijacks the reply, and Fastify sends nothing: this hook does not run.)
    frameworkAnswers(reply.raw);
    bindResponse(request, reply);
    const core = coreOf(session);
    core.beforeResponse();
    if (!core.needsCommit()) return done(null, payload);
    const replace = (error: unknown): unknown => {
      const failure = failureResponseOf(error);
      if (!failure) {
        logger.warn(`Session not saved before the response: ${String(error)}`);
        return payload;
      }
      logger.warn((error as Error).message);
      // From Fastify's list and from the raw response, which Node merges into it on sending.
      for (const name of REPLACED_RESPONSE_HEADERS) {
        reply.removeHeader(name);
        reply.raw.removeHeader(name);
      }
      if (isGraphqlRequest(request)) {
        reply.code(200);
        reply.header('content-type', graphqlFailureContentType(reply.getHeader('content-type')));
        return graphqlFailureBody(failure, request);
      }
      reply.code(failure.statusCode);
      reply.header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(failure);
    };
    let pending: Promise<void> | undefined;
    try {
      pending = core.commitForResponse();
    } catch (error) {
      return done(null, replace(error));
    }
    // Committed already (a synchronous store): the reply goes on without waiting.
    if (!pending) return done(null, payload);
    // While the commit runs, the reply is not yet "sent" for Fastify, so a second send (Nest
    // answering a passthrough handler that already called reply.redirect()) would write twice.
    // Sent synchronously, that second send would have been ignored: ignore it here too, with the
    // status set on its way (`reply.code(200).send(…)`).
    const send = reply.send;
    const status = reply.statusCode;
    reply.send = ignoreSend;
    const resume = (result: unknown) => {
      // Reassigned rather than deleted: `delete` would drop the reply object to a slow shape.
      reply.send = send;
      done(null, result);
    };
    pending.then(
      () => {
        if (reply.statusCode !== status) reply.code(status);
        resume(payload);
      },
      (error: unknown) => resume(replace(error)),
    );
  });
}

function ignoreSend(this: FastifyHookReply): FastifyHookReply {
  return this;
}
