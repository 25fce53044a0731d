import './mercurius-under-jest.js';
import { countingCache } from '../support/stores/counting-cache.js';
import type { GraphqlApp } from './graphql-app.js';
import { resultOf, SETUPS, type GraphqlResult } from './graphql-setups.js';
import { InjectedResolver, NotesResolver } from './notes.resolver.js';

const EVIL = 'https://evil.example';

describe.each(SETUPS)('GraphQL sessions: $name', (setup) => {
  const { cache, calls } = countingCache();
  let t: GraphqlApp;

  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(setup, { store: cache }, [NotesResolver, InjectedResolver]);
  });
  afterAll(() => t.close());

  const gql = (query: string, cookie?: string, token?: string) => {
    const req = t.http().post('/graphql').send({ query });
    if (cookie) req.set('Cookie', cookie);
    if (token) req.set('x-csrf-token', token);
    return req.then(resultOf);
  };

  /** A new session with a CSRF token, issued by a query. */
  async function newSession(): Promise<{ cookie: string; token: string }> {
    const res = await gql('{ csrfToken }');
    expect(res.errors).toBeUndefined();
    return {
      cookie: res.cookies.find((c) => c.startsWith('sid='))!,
      token: res.data!.csrfToken as string,
    };
  }

  const notesOf = async (cookie: string) => (await gql('{ notes }', cookie)).data?.notes;

  it('a mutation with a valid token writes a segment; the next request reads it', async () => {
    const { cookie, token } = await newSession();
    const added = await gql('mutation { addNote(text: "first") }', cookie, token);
    expect(added).toMatchObject({ status: 200, data: { addNote: ['first'] } });
    expect(added.errors).toBeUndefined();
    expect(await notesOf(cookie)).toEqual(['first']);
  });

  it('puts Set-Cookie on the mutation response when the mutation changes the session id', async () => {
    const { cookie, token } = await newSession();
    const signed = await gql('mutation { signIn(user: "ada") }', cookie, token);
    expect(signed.errors).toBeUndefined();
    const renewed = signed.cookies.find((c) => c.startsWith('sid='));
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(cookie);
    expect((await gql('{ whoAmI }', renewed)).data).toEqual({ whoAmI: 'ada' });
    expect((await gql('{ whoAmI }', cookie)).data).toEqual({ whoAmI: null });
  });

  it('runs the rest of a mutation whose first field logged in: one request, one CSRF check', async () => {
    const { cookie, token } = await newSession();
    const res = await gql(
      'mutation { signIn(user: "ada") addNote(text: "after login") }',
      cookie,
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ signIn: 'ada', addNote: ['after login'] });
    const renewed = res.cookies.find((c) => c.startsWith('sid='))!;
    expect(await notesOf(renewed)).toEqual(['after login']);
  });

  it('refuses every field of a mutation sent with a wrong token', async () => {
    const { cookie } = await newSession();
    const res = await gql('mutation { signIn(user: "eve") addNote(text: "x") }', cookie, 'forged');
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions?.reason).toBe('csrf_token_invalid');
    expect(await notesOf(cookie)).toEqual([]);
  });

  it('gives an injected SessionManager the session of the request', async () => {
    const { cookie, token } = await newSession();
    const renewed = (await gql('mutation { signIn(user: "grace") }', cookie, token)).cookies[0]!;
    const [a, b] = await Promise.all([gql('{ whoAmI }', renewed), gql('{ whoAmI }')]);
    expect(a.data).toEqual({ whoAmI: 'grace' });
    expect(b.data).toEqual({ whoAmI: null });
  });

  it("a stored session's first token, issued beside a write in one query, passes a mutation", async () => {
    const started = await gql('{ visit }');
    const cookie = started.cookies.find((c) => c.startsWith('sid='))!;
    const issued = await gql('{ csrfToken visit }', cookie);
    expect(issued.errors).toBeUndefined();
    expect(issued.cookies.filter((c) => c.startsWith('sid=') && c !== cookie)).toEqual([]);
    const token = issued.data!.csrfToken as string;
    const added = await gql('mutation { addNote(text: "after") }', cookie, token);
    expect(added.errors).toBeUndefined();
    expect(added.data).toEqual({ addNote: ['after'] });
    expect((await gql('{ visit }', cookie)).errors).toBeUndefined();
    expect((await gql('{ visits }', cookie)).data).toEqual({ visits: 3 });
  });

  it('makes no store call for a query that does not read the session', async () => {
    const { cookie } = await newSession();
    calls.reset();
    const res = await gql('{ ping }', cookie);
    expect(res.data).toEqual({ ping: true });
    expect(calls.total()).toBe(0);
    await notesOf(cookie);
    expect(calls.get).toBe(1);
  });

  describe('CSRF checks on mutations', () => {
    let victim: { cookie: string; token: string };
    beforeEach(async () => {
      victim = await newSession();
      await gql('mutation { addNote(text: "mine") }', victim.cookie, victim.token);
    });

    const expectForbidden = (res: GraphqlResult, reason: string) => {
      expect(res.errors?.map((e) => e.extensions)).toEqual([
        expect.objectContaining({ code: 'FORBIDDEN', reason }),
      ]);
      expect(res.data?.addNote ?? null).toBeNull();
    };

    it('refuses a mutation without a token: csrf_token_missing', async () => {
      expectForbidden(
        await gql('mutation { addNote(text: "x") }', victim.cookie),
        'csrf_token_missing',
      );
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });

    it("refuses a mutation with another session's token: csrf_token_invalid", async () => {
      const other = await newSession();
      expectForbidden(
        await gql('mutation { addNote(text: "x") }', victim.cookie, other.token),
        'csrf_token_invalid',
      );
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });

    it.each([
      {
        what: 'a cross-site JSON mutation',
        headers: { Origin: EVIL, 'Sec-Fetch-Site': 'Cross-Site' },
        reason: 'csrf_cross_site',
      },
      {
        what: 'a mutation from a foreign Origin',
        headers: { Origin: EVIL },
        reason: 'csrf_origin_mismatch',
      },
    ])('refuses $what even with a valid token: $reason', async ({ headers, reason }) => {
      const res = await t
        .http()
        .post('/graphql')
        .set('Cookie', victim.cookie)
        .set('x-csrf-token', victim.token)
        .set(headers)
        .send({ query: 'mutation { addNote(text: "x") }' })
        .then(resultOf);
      expectForbidden(res, reason);
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });

    it('accepts a same-origin mutation with the token in the body field', async () => {
      const res = await t
        .http()
        .post('/graphql')
        .set('Cookie', victim.cookie)
        .set('Origin', t.origin)
        .set('Sec-Fetch-Site', 'same-origin')
        .send({ query: 'mutation { addNote(text: "two") }', __csrf_value: victim.token })
        .then(resultOf);
      expect(res.errors).toBeUndefined();
      expect(await notesOf(victim.cookie)).toEqual(['mine', 'two']);
    });

    it.each([
      {
        what: 'a cross-site urlencoded form POST',
        headers: { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' },
        reason: 'csrf_cross_site',
      },
      {
        what: 'a form POST without Fetch Metadata or Origin',
        headers: {},
        reason: 'csrf_token_missing',
      },
    ])('refuses $what of a mutation: $reason', async ({ headers, reason }) => {
      const res = await t
        .http()
        .post('/graphql')
        .set('Cookie', victim.cookie)
        .set(headers)
        .type('form')
        .send({ query: 'mutation { addNote(text: "forged") }' })
        .then(resultOf);
      if (setup.csrfPrevention) {
        // Apollo's own prevention answers first: no preflight-forcing header or content type.
        expect(res).toMatchObject({
          status: 400,
          errors: [{ extensions: { code: 'BAD_REQUEST' } }],
        });
      } else {
        expectForbidden(res, reason);
      }
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });

    it('refuses a cross-site text/plain POST of a mutation', async () => {
      const res = await t
        .http()
        .post('/graphql')
        .set('Cookie', victim.cookie)
        .set('Origin', EVIL)
        .set('Sec-Fetch-Site', 'cross-site')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ query: 'mutation { addNote(text: "forged") }' }))
        .then(resultOf);
      // Neither driver parses a text/plain body into an operation: refused before any resolver.
      expect(res.status).toBe(400);
      expect(res.data ?? null).toBeNull();
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });

    it('refuses a mutation over GET', async () => {
      const query = encodeURIComponent('mutation { addNote(text: "forged") }');
      const res = await t
        .http()
        .get(`/graphql?query=${query}`)
        .set('Cookie', victim.cookie)
        .set('x-csrf-token', victim.token)
        .then(resultOf);
      // Both drivers refuse it before any resolver (the guard would too: csrf_method_not_allowed).
      expect(res.status).toBe(setup.csrfPrevention ? 400 : 405);
      expect(res.data ?? null).toBeNull();
      expect(await notesOf(victim.cookie)).toEqual(['mine']);
    });
  });
});
