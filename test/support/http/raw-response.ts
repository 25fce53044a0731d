import type { ServerResponse } from 'node:http';

/** Node's response behind what Nest hands a handler or interceptor: Express's own, Fastify's `reply.raw`. */
export function rawResponseOf(response: unknown): ServerResponse {
  return ((response as { raw?: ServerResponse }).raw ?? response) as ServerResponse;
}
