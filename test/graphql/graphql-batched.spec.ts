import './mercurius-under-jest.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import type { GraphqlApp } from './graphql-app.js';
import { resultOf, SETUPS } from './graphql-setups.js';
import { NotesResolver } from './notes.resolver.js';

type BatchResult = Array<{
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}>;

describe.each(SETUPS)('Batched GraphQL requests and CSRF: $name', (setup) => {
  const { cache, state } = switchableCache();
  let t: GraphqlApp;

  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(setup, { store: cache }, [NotesResolver], undefined, {
      batching: true,
    });
  });
  afterAll(() => t.close());

  const gql = (query: string, cookie?: string) => {
    const req = t.http().post('/graphql').send({ query });
    if (cookie) req.set('Cookie', cookie);
    return req.then(resultOf);
  };

  async function newSession(): Promise<{ cookie: string; token: string }> {
    const res = await gql('{ csrfToken }');
    return {
      cookie: res.cookies.find((c) => c.startsWith('sid='))!,
      token: res.data!.csrfToken as string,
    };
  }

  const notesOf = async (cookie: string) => (await gql('{ notes }', cookie)).data?.notes;

  it('a batch with the token in the x-csrf-token header: its mutations run', async () => {
    const { cookie, token } = await newSession();
    const res = await t
      .http()
      .post('/graphql')
      .set('Cookie', cookie)
      .set('x-csrf-token', token)
      .send([{ query: 'mutation { addNote(text: "one") }' }, { query: '{ ping }' }]);
    expect((res.body as BatchResult).map((entry) => entry.errors)).toEqual([undefined, undefined]);
    expect(await notesOf(cookie)).toEqual(['one']);
  });

  it("a batch with the token only in each entry's __csrf_value is refused: csrf_token_missing, nothing written", async () => {
    const { cookie, token } = await newSession();
    const res = await t
      .http()
      .post('/graphql')
      .set('Cookie', cookie)
      .send([
        { query: 'mutation { addNote(text: "one") }', __csrf_value: token },
        { query: 'mutation { addNote(text: "two") }', __csrf_value: token },
      ]);
    expect(
      (res.body as BatchResult).map((entry) => entry.errors?.[0]?.extensions?.['reason']),
    ).toEqual(['csrf_token_missing', 'csrf_token_missing']);
    expect(await notesOf(cookie)).toEqual([]);
  });

  it('a batch whose session commit fails: one GraphQL error per operation, in an array as long as the batch', async () => {
    const { cookie, token } = await newSession();
    state.writesDown = true;
    let res;
    try {
      res = await t
        .http()
        .post('/graphql')
        .set('Cookie', cookie)
        .set('x-csrf-token', token)
        .send([{ query: '{ ping }' }, { query: 'mutation { addNote(text: "lost") }' }]);
    } finally {
      state.writesDown = false;
    }
    const failed = {
      errors: [
        {
          message: expect.stringMatching(/store is unavailable/),
          extensions: { code: 'SESSION_STORE_UNAVAILABLE', reason: 'session_store_unavailable' },
        },
      ],
      data: null,
    };
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: [failed, failed],
    });
    expect(await notesOf(cookie)).toEqual([]);
  });
});
