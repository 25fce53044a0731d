import type { ExecutionContext } from '@nestjs/common';
import { markGraphqlRequest } from '../http/graphql-request.js';

/** The HTTP request (and, where the framework keeps it apart, the response) behind a handler. */
export interface ContextRequest {
  request: object;
  response: unknown;
}

/** What `@nestjs/graphql` passes a resolver as its third argument, on either driver. */
interface GraphqlContextLike {
  /** Apollo (and Mercurius, through `@nestjs/mercurius`): the HTTP request. */
  req?: object;
  /** Apollo on Express, when the app's context function keeps it. */
  res?: unknown;
  /** Mercurius: the Fastify reply. */
  reply?: { request?: object };
}

/** The part of a GraphQL resolver's `info` argument the CSRF check needs. */
interface GraphqlInfoLike {
  operation?: { operation?: string };
}

/**
 * The HTTP request behind an HTTP handler or a GraphQL resolver; `undefined` where there is none
 * (a WebSocket message, an RPC handler, a GraphQL subscription over WebSocket). Duck-typed, so
 * the GraphQL packages are never loaded by this library. A request found behind a resolver is
 * marked as GraphQL, so its response hooks answer a failed commit as GraphQL errors.
 */
export function contextRequestOf(context: ExecutionContext): ContextRequest | undefined {
  const type = context.getType<string>();
  if (type === 'http') {
    // An HTTP handler's arguments are its request and response; `switchToHttp()` would build
    // three closures on every call to hand out the same two.
    return {
      request: context.getArgByIndex<object>(0),
      response: context.getArgByIndex<unknown>(1),
    };
  }
  if (type !== 'graphql') return undefined;
  return graphqlContextRequest(context.getArgByIndex<GraphqlContextLike | undefined>(2));
}

/**
 * The HTTP request Nest's `REQUEST` stands for: itself behind a controller, the one inside the
 * GraphQL context a request-scoped provider of a resolver receives instead.
 */
export function injectedRequest(injected: object): ContextRequest {
  if ('headers' in injected) return { request: injected, response: undefined };
  return graphqlContextRequest(injected) ?? { request: injected, response: undefined };
}

function graphqlContextRequest(gql: GraphqlContextLike | undefined): ContextRequest | undefined {
  if (typeof gql !== 'object' || gql === null) return undefined;
  const request = gql.req ?? gql.reply?.request;
  if (typeof request !== 'object' || request === null) return undefined;
  markGraphqlRequest(request);
  // Express links the response from its request; Fastify's request does not link its reply.
  return { request, response: gql.reply ?? gql.res };
}

/** `'query'`, `'mutation'` or `'subscription'` for a GraphQL resolver's context. */
export function graphqlOperationOf(context: ExecutionContext): string | undefined {
  const info = context.getArgByIndex<GraphqlInfoLike | undefined>(3);
  return info?.operation?.operation;
}
