import './mercurius-under-jest.js';
import { countingCache } from '../support/stores/counting-cache.js';
import type { GraphqlApp } from './graphql-app.js';
import { resultOf, SETUPS } from './graphql-setups.js';
import { runOverWebSocket, type WsOutcome } from './graphql-ws-client.js';
import { InjectedResolver, NotesResolver } from './notes.resolver.js';
import { InjectedSubscriptionResolver, SubscriptionsResolver } from './subscriptions.resolver.js';

const EVIL = 'https://evil.example';
const NO_SESSION =
  /^No session for this GraphQL operation: sessions are not available over a WebSocket transport/;

describe.each(SETUPS)('GraphQL over WebSocket: $name', (setup) => {
  const { cache, calls } = countingCache();
  let t: GraphqlApp;

  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(
      setup,
      { store: cache },
      [NotesResolver, InjectedResolver, SubscriptionsResolver, InjectedSubscriptionResolver],
      undefined,
      { webSocket: true },
    );
  });
  afterAll(() => t.close());

  const gql = (query: string, cookie?: string, token?: string) => {
    const req = t.http().post('/graphql').send({ query });
    if (cookie) req.set('Cookie', cookie);
    if (token) req.set('x-csrf-token', token);
    return req.then(resultOf);
  };

  /** A session signed in as `user` over HTTP; its cookie. */
  async function signedIn(user: string): Promise<string> {
    const issued = await gql('{ csrfToken }');
    const cookie = issued.cookies.find((c) => c.startsWith('sid='))!;
    const token = issued.data!.csrfToken as string;
    const signed = await gql(`mutation { signIn(user: "${user}") }`, cookie, token);
    expect(signed.errors).toBeUndefined();
    return signed.cookies.find((c) => c.startsWith('sid='))!;
  }

  const tokenOf = async (cookie: string) =>
    (await gql('{ csrfToken }', cookie)).data!.csrfToken as string;

  const overSocket = (headers: Record<string, string>, query: string): Promise<WsOutcome> =>
    runOverWebSocket(`${t.origin.replace(/^http/, 'ws')}/graphql`, headers, query);

  const whoAmI = async (cookie: string) => (await gql('{ whoAmI }', cookie)).data?.whoAmI;

  it("a subscription opened by another site gets no session: the decorators throw, the user's data stays out", async () => {
    const cookie = await signedIn('ada');
    const outcome = await overSocket({ cookie, origin: EVIL }, 'subscription { whoSubscribes }');
    expect(outcome.errors?.[0]?.message).toMatch(NO_SESSION);
    expect(JSON.stringify(outcome)).not.toContain('ada');
  });

  it('a subscription from the app itself gets no session either', async () => {
    const cookie = await signedIn('bea');
    const outcome = await overSocket(
      { cookie, origin: t.origin },
      'subscription { whoSubscribes }',
    );
    expect(outcome.errors?.[0]?.message).toMatch(NO_SESSION);
    expect(JSON.stringify(outcome)).not.toContain('bea');
  });

  it('a write in a subscription throws instead of being lost, and the session is unchanged', async () => {
    const cookie = await signedIn('cy');
    calls.reset();
    const outcome = await overSocket(
      { cookie, origin: t.origin },
      'subscription { renameOnSubscribe }',
    );
    expect(outcome.errors?.[0]?.message).toMatch(NO_SESSION);
    expect(calls.total()).toBe(0);
    expect(await whoAmI(cookie)).toBe('cy');
  });

  it('an injected SessionManager in a subscription throws the same error', async () => {
    const cookie = await signedIn('dee');
    const outcome = await overSocket(
      { cookie, origin: t.origin },
      'subscription { whoSubscribesInjected }',
    );
    expect(outcome.errors?.[0]?.message).toMatch(NO_SESSION);
    expect(JSON.stringify(outcome)).not.toContain('dee');
  });

  it.each(['{ notes }', '{ whoAmI }'])(
    'a query over the socket gets no session: %s',
    async (query) => {
      const cookie = await signedIn('eve');
      await gql('mutation { addNote(text: "eve\'s note") }', cookie, await tokenOf(cookie));
      const outcome = await overSocket({ cookie, origin: t.origin }, query);
      expect(outcome.errors?.[0]?.message).toMatch(NO_SESSION);
      expect(JSON.stringify(outcome)).not.toContain('eve');
    },
  );

  it('a mutation over the socket is refused with csrf_cross_site and writes nothing', async () => {
    const cookie = await signedIn('fay');
    calls.reset();
    const outcome = await overSocket(
      { cookie, origin: t.origin },
      'mutation { signIn(user: "mallory") }',
    );
    expect(outcome.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'csrf_cross_site',
    });
    expect(calls.total()).toBe(0);
    expect(await whoAmI(cookie)).toBe('fay');
  });
});
