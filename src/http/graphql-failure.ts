import type { SessionFailureResponse } from '../core/errors.js';

/**
 * The body that replaces a GraphQL response whose session commit failed after its resolvers ran:
 * a GraphQL error (`extensions.code` `SESSION_STORE_UNAVAILABLE` or `SESSION_TOO_LARGE`, with the
 * `reason` the HTTP body would carry) and `data: null`, so a GraphQL client reports the operation
 * as failed instead of taking its result as done. The status stays 200, as Apollo and Mercurius
 * answer resolver errors and as the GraphQL-over-HTTP spec recommends when `data` is null.
 */
export function graphqlFailureBody(failure: SessionFailureResponse): string {
  return JSON.stringify({
    errors: [
      {
        message: failure.message,
        extensions: { code: failure.reason.toUpperCase(), reason: failure.reason },
      },
    ],
    data: null,
  });
}

/**
 * The content type of that body: the one the GraphQL server chose when it is JSON
 * (`application/json` or `application/graphql-response+json`, whichever the client accepted),
 * plain JSON otherwise (an incremental `multipart/mixed` response cut short).
 */
export function graphqlFailureContentType(current: unknown): string {
  return typeof current === 'string' && /json/i.test(current)
    ? current
    : 'application/json; charset=utf-8';
}
