import './mercurius-under-jest.js';
import type { GraphqlApp } from './graphql-app.js';
import { resultOf, SETUPS } from './graphql-setups.js';
import { GreetingResolver, SCHEMA } from './schema-first.resolver.js';

describe.each(SETUPS)('Schema-first resolvers: $name', (setup) => {
  let t: GraphqlApp;

  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(setup, {}, [GreetingResolver], { typeDefs: SCHEMA });
  });
  afterAll(() => t.close());

  const gql = (query: string, cookie?: string, token?: string) => {
    const req = t.http().post('/graphql').send({ query });
    if (cookie) req.set('Cookie', cookie);
    if (token) req.set('x-csrf-token', token);
    return req.then(resultOf);
  };

  it('reads and writes the session; mutations are CSRF-checked', async () => {
    const issued = await gql('{ csrfToken }');
    const cookie = issued.cookies.find((c) => c.startsWith('sid='))!;
    const token = issued.data!.csrfToken as string;
    const refused = await gql('mutation { setGreeting(text: "forged") }', cookie);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'csrf_token_missing',
    });
    const set = await gql('mutation { setGreeting(text: "hello") }', cookie, token);
    expect(set.data).toEqual({ setGreeting: 'hello' });
    expect((await gql('{ greeting }', cookie)).data).toEqual({ greeting: 'hello' });
  });
});
