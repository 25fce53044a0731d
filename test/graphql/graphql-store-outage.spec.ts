import './mercurius-under-jest.js';
import type { GraphqlApp } from './graphql-app.js';
import { resultOf, SETUPS } from './graphql-setups.js';
import { InjectedResolver, NotesResolver } from './notes.resolver.js';
import { switchableCache } from '../support/stores/switchable-cache.js';

/** A memory cache whose store calls fail while `down` is set, as a store outage does. */

describe.each(SETUPS)('GraphQL store outage: $name', (setup) => {
  const { cache, state } = switchableCache();
  let t: GraphqlApp;

  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(setup, { store: cache }, [NotesResolver, InjectedResolver]);
  });
  afterAll(() => t.close());
  afterEach(() => {
    state.down = false;
    state.writesDown = false;
  });

  const gql = (query: string, cookie?: string, token?: string) => {
    const req = t.http().post('/graphql').send({ query });
    if (cookie) req.set('Cookie', cookie);
    if (token) req.set('x-csrf-token', token);
    return req.then(resultOf);
  };

  it('answers a resolver whose session read fails with SESSION_STORE_UNAVAILABLE', async () => {
    const issued = await gql('{ csrfToken }');
    const cookie = issued.cookies[0]!;
    state.down = true;
    const res = await gql('{ notes }', cookie);
    expect(res.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({
        code: 'SESSION_STORE_UNAVAILABLE',
        reason: 'session_store_unavailable',
      }),
    ]);
    expect(JSON.stringify(res.errors)).not.toMatch(/TypeError|is not a function/);
    state.down = false;
    expect((await gql('{ notes }', cookie)).data).toEqual({ notes: [] });
  });

  it('answers a mutation whose token check cannot reach the store with SESSION_STORE_UNAVAILABLE', async () => {
    const issued = await gql('{ csrfToken }');
    state.down = true;
    const res = await gql(
      'mutation { addNote(text: "x") }',
      issued.cookies[0],
      issued.data!.csrfToken as string,
    );
    expect(res.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code: 'SESSION_STORE_UNAVAILABLE' }),
    ]);
  });

  it('keeps answering queries that do not use the session during the outage', async () => {
    state.down = true;
    expect((await gql('{ ping }')).data).toEqual({ ping: true });
  });

  it('answers a mutation whose commit fails after the resolver with a GraphQL error', async () => {
    const issued = await gql('{ csrfToken }');
    const cookie = issued.cookies[0]!;
    state.writesDown = true;
    // The resolver succeeded; the commit on the way out did not: the GraphQL result is replaced
    // by an error, so the client cannot take the write as done.
    const res = await t
      .http()
      .post('/graphql')
      .set('Cookie', cookie)
      .set('x-csrf-token', issued.data!.csrfToken as string)
      .send({ query: 'mutation { addNote(text: "lost") }' });
    expect({
      status: res.status,
      contentType: res.headers['content-type'],
      body: res.body as unknown,
    }).toEqual({
      status: 200,
      contentType: expect.stringMatching(/^application\/json/),
      body: {
        errors: [
          {
            message: expect.stringMatching(/store is unavailable/),
            extensions: { code: 'SESSION_STORE_UNAVAILABLE', reason: 'session_store_unavailable' },
          },
        ],
        data: null,
      },
    });
    state.writesDown = false;
    expect((await gql('{ notes }', cookie)).data).toEqual({ notes: [] });
  });

  it('answers that error in the media type the server chose for the client', async () => {
    const issued = await gql('{ csrfToken }');
    const mutate = (text: string) =>
      t
        .http()
        .post('/graphql')
        .set('Cookie', issued.cookies[0]!)
        .set('Accept', 'application/graphql-response+json')
        .set('x-csrf-token', issued.data!.csrfToken as string)
        .send({ query: `mutation { addNote(text: "${text}") }` });
    const saved = await mutate('saved');
    state.writesDown = true;
    const lost = await mutate('lost');
    const body = JSON.parse(lost.text) as { data: unknown; errors: { extensions: unknown }[] };
    expect({
      status: lost.status,
      contentType: lost.headers['content-type'],
      data: body.data,
      extensions: body.errors[0]!.extensions,
    }).toEqual({
      status: 200,
      contentType: saved.headers['content-type'],
      data: null,
      extensions: expect.objectContaining({ code: 'SESSION_STORE_UNAVAILABLE' }),
    });
  });
});
