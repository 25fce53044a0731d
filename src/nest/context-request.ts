import type { ExecutionContext } from '@nestjs/common';
import { markGraphqlRequest } from '../http/graphql-request.js';

/** The HTTP request (and, where the framework keeps it apart, the response) behind a handler. */
export interface ContextRequest {
  request: object;
  response: unknown;
}

/** What `@nestjs/graphql` passes a resolver as its third argument, on either driver. */
interface GraphqlContextLike {
  /**
   * Apollo (and Mercurius, through `@nestjs/mercurius`): the HTTP request; over graphql-ws,
   * Apollo's graphql-ws context instead.
   */
  req?: object;
  /** Apollo on Express, when the app's context function keeps it. */
  res?: unknown;
  /** Mercurius: the Fastify reply; in a subscription, a stand-in holding the handshake's request. */
  reply?: { request?: object };
}

/** The part of a GraphQL resolver's `info` argument the CSRF check needs. */
interface GraphqlInfoLike {
  operation?: { operation?: string };
}

/**
 * The HTTP request behind an HTTP handler or a GraphQL resolver; `undefined` where there is none
 * (a WebSocket message, an RPC handler, a GraphQL operation over WebSocket). Duck-typed, so
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
 * GraphQL context a request-scoped provider of a resolver receives instead. Throws where there is
 * no HTTP request behind it (a GraphQL operation over WebSocket, a durable provider, which gets its
 * strategy's payload), or no request at all: Nest hands `undefined` to a provider resolved outside
 * a request (`moduleRef.resolve()` in a test or a script, a standalone application context, a
 * durable provider without a payload).
 */
export function injectedRequest(injected: unknown): ContextRequest {
  if (typeof injected !== 'object' || injected === null) {
    throw new Error(
      'No session here: an injected SessionManager needs an HTTP request behind it, and Nest resolved it outside any request (moduleRef.resolve() without a request registered for its context id, a standalone application context, or a durable provider whose ContextIdStrategy gives no payload)',
    );
  }
  if ('headers' in injected) return { request: injected, response: undefined };
  const behind = graphqlContextRequest(injected);
  if (behind) return behind;
  // The context of a query or mutation Mercurius runs over WebSocket has neither `req` nor
  // `reply`, but always `pubsub`.
  if ('req' in injected || 'reply' in injected || 'pubsub' in injected) {
    throw noGraphqlSessionError();
  }
  throw new Error(
    "No session here: an injected SessionManager needs an HTTP request behind it (a controller, or a GraphQL operation over HTTP). A durable provider (a ContextIdStrategy) is handed its strategy's payload instead of the request: take the session with @Session() in the controller and pass it on",
  );
}

/** What asking for the session of a GraphQL operation that did not come over HTTP throws. */
export function noGraphqlSessionError(): Error {
  return new Error(
    'No session for this GraphQL operation: sessions are not available over a WebSocket transport (subscriptions, graphql-ws); send the operation over HTTP',
  );
}

function graphqlContextRequest(gql: GraphqlContextLike | undefined): ContextRequest | undefined {
  if (typeof gql !== 'object' || gql === null) return undefined;
  const request = httpRequestOf(gql.req) ?? httpRequestOf(gql.reply?.request);
  if (!request) return undefined;
  markGraphqlRequest(request);
  // Express links the response from its request; Fastify's request does not link its reply.
  return { request, response: gql.reply ?? gql.res };
}

/**
 * `candidate` if it is an HTTP request an operation came in: an object with headers that is not
 * a WebSocket handshake. Over WebSocket the drivers hand over something else in its place: Apollo
 * the graphql-ws context (no headers), Mercurius the handshake's request, which carries the
 * browser's cookie but was never checked for its origin and has no response to set a cookie on.
 */
function httpRequestOf(candidate: unknown): object | undefined {
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const headers = (candidate as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  // Every WebSocket handshake says `Upgrade: websocket` (RFC 6455); @fastify/websocket's own
  // `request.ws` flag is derived from the same handshake.
  const upgrade = (headers as { upgrade?: unknown }).upgrade;
  if (typeof upgrade === 'string' && /websocket/i.test(upgrade)) return undefined;
  return candidate;
}

/** `'query'`, `'mutation'` or `'subscription'` for a GraphQL resolver's context. */
export function graphqlOperationOf(context: ExecutionContext): string | undefined {
  const info = context.getArgByIndex<GraphqlInfoLike | undefined>(3);
  return info?.operation?.operation;
}
