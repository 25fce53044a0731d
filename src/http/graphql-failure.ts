import type { SessionFailureResponse } from '../core/errors.js';

/**
 * The body that replaces a GraphQL response whose session commit failed after its resolvers ran:
 * a GraphQL error (`extensions.code` `SESSION_STORE_UNAVAILABLE` or `SESSION_TOO_LARGE`, with the
 * `reason` the HTTP body would carry) and `data: null`, so a GraphQL client reports the operation
 * as failed instead of taking its result as done. The status stays 200, as Apollo and Mercurius
 * answer resolver errors and as the GraphQL-over-HTTP spec recommends when `data` is null.
 *
 * A batched request (its parsed body an array of operations) gets that result once per
 * operation, in an array as long as the batch: batching clients match results to operations by
 * position, and fail the whole batch as a transport error when the lengths differ. Every
 * operation fails, as the commit covered them all.
 */
export function graphqlFailureBody(failure: SessionFailureResponse, request: object): string {
  const result = {
    errors: [
      {
        message: failure.message,
        extensions: { code: failure.reason.toUpperCase(), reason: failure.reason },
      },
    ],
    data: null,
  };
  const body = (request as { body?: unknown }).body;
  return JSON.stringify(Array.isArray(body) ? body.map(() => result) : result);
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
