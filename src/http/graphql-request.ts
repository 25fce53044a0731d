// A symbol-keyed slot on the HTTP request, set only on requests found behind a GraphQL resolver.
const GRAPHQL = Symbol('nest-aura-session.graphql');

interface GraphqlSlot {
  [GRAPHQL]?: true;
}

/**
 * Records that `request` carries a GraphQL operation, so that a commit failing after its
 * resolvers ran is answered with a GraphQL error rather than the plain HTTP error body.
 */
export function markGraphqlRequest(request: object): void {
  (request as GraphqlSlot)[GRAPHQL] = true;
}

/** Whether {@link markGraphqlRequest} marked `request`. */
export function isGraphqlRequest(request: object): boolean {
  return (request as GraphqlSlot)[GRAPHQL] === true;
}
