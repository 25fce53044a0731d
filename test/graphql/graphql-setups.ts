import type request from 'supertest';

/** A GraphQL server setup under test: its driver on its HTTP adapter. */
export interface GraphqlSetup {
  name: string;
  /** Apollo's own CSRF prevention (Apollo only). */
  csrfPrevention?: boolean;
}

export const SETUPS: GraphqlSetup[] = [
  { name: 'Apollo on Express, csrfPrevention off', csrfPrevention: false },
  { name: 'Apollo on Express, csrfPrevention on', csrfPrevention: true },
  { name: 'Mercurius on Fastify' },
];

export function isApollo(setup: GraphqlSetup): boolean {
  return setup.csrfPrevention !== undefined;
}

/** What a GraphQL response carries, whatever its HTTP status. */
export interface GraphqlResult {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  cookies: string[];
}

export function resultOf(res: request.Response): GraphqlResult {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as {
    data?: Record<string, unknown> | null;
    errors?: GraphqlResult['errors'];
  };
  const raw = res.headers['set-cookie'] as unknown;
  const list = raw === undefined ? [] : Array.isArray(raw) ? (raw as string[]) : [raw as string];
  return {
    status: res.status,
    data: body.data,
    errors: body.errors,
    cookies: list.map((c) => c.split(';')[0]!),
  };
}
