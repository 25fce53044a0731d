import type { Response } from 'supertest';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startAppProcess, type AppProcess } from '../support/process/app-process.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, setCookieFor, sidOf } from '../support/apps/test-app.js';

interface Listed {
  handle: string;
  userAgent?: string;
  current: boolean;
}

/**
 * Two app processes on one Redis: a user's sessions are listed and signed out across instances,
 * with nothing but the store in common.
 */
const run = redisAvailable("a user's sessions across two app processes") ? describe : describe.skip;
run.each(ADAPTERS)("a user's sessions across two app processes (%s)", (adapter) => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;
  let user = 0;
  let alice: string;

  beforeAll(async () => {
    redis = await startRedis();
    a = await startAppProcess(adapter, redis.url, { storeTimeout: 1500 });
    b = await startAppProcess(adapter, redis.url, { storeTimeout: 1500, maxSessionsPerUser: 1 });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });
  beforeEach(() => {
    alice = `alice-${++user}`;
  });

  async function login(app: AppProcess, userAgent: string, name = alice): Promise<string> {
    const res = await app
      .http()
      .get('/users/login')
      .query({ user: name })
      .set('User-Agent', userAgent)
      .expect(200);
    return sidOf(res)!;
  }

  function get(app: AppProcess, path: string, sid: string, query = {}): Promise<Response> {
    return app.http().get(path).query(query).set('Cookie', `sid=${sid}`).expect(200);
  }

  async function list(app: AppProcess, sid: string): Promise<Listed[]> {
    return (await get(app, '/users/list', sid)).body as Listed[];
  }

  async function readsSession(app: AppProcess, sid: string): Promise<boolean> {
    return (await get(app, '/users/read', sid)).body.session !== null;
  }

  const expiresCookie = (res: Response) => /Max-Age=0/i.test(setCookieFor(res) ?? '');

  it('three logins over both instances are listed on either, one of them current', async () => {
    await login(a, 'One');
    await login(a, 'Two');
    const third = await login(a, 'Three');
    for (const app of [a, b]) {
      const listed = await list(app, third);
      expect(listed.map((s) => s.userAgent).sort()).toEqual(['One', 'Three', 'Two']);
      expect(listed.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['Three']);
    }
  });

  it('revoke on instance B: the session on instance A is gone at its next request, cookie expired', async () => {
    const victim = await login(a, 'Victim');
    await get(a, '/users/put', victim, { key: 'x' });
    const mine = await login(a, 'Mine');
    const handle = (await list(b, mine)).find((s) => !s.current)!.handle;
    const res = await b.http().get('/users/revoke').query({ user: alice, handle }).expect(200);
    expect(res.body).toEqual({ revoked: true });

    const next = await get(a, '/users/read', victim);
    expect(next.body).toEqual({ session: null });
    expect(expiresCookie(next)).toBe(true);
    expect(await readsSession(a, mine)).toBe(true);
    expect((await list(a, mine)).map((s) => s.userAgent)).toEqual(['Mine']);
  });

  it('revokeAll with except on instance B keeps only the asking session', async () => {
    const others = [await login(a, 'X'), await login(a, 'Y')];
    const mine = await login(a, 'Z');
    const res = await get(b, '/users/revoke-others', mine, { password: '1' });
    expect(res.body).toEqual({ revoked: 2 });
    const renewed = sidOf(res)!;
    for (const sid of others) expect(await readsSession(a, sid)).toBe(false);
    expect(await readsSession(a, renewed)).toBe(true);
    expect(await list(a, renewed)).toEqual([expect.objectContaining({ current: true })]);
  });

  it('20 writes on instance A racing a revokeAll on instance B never bring the session back', async () => {
    for (let round = 0; round < 5; round++) {
      const sid = await login(a, `round ${round}`);
      const writes = Array.from({ length: 20 }, (_, i) =>
        get(a, '/put', sid, { seg: 'S', key: `w${i}`, value: '1' }),
      );
      const revokeAll = b.http().get('/users/revoke-all').query({ user: alice }).expect(200);
      const [revoked] = await Promise.all([revokeAll, ...writes]);
      expect(revoked.body).toEqual({ revoked: 1 });
      expect(await readsSession(a, sid)).toBe(false);
      expect(await readsSession(b, sid)).toBe(false);
      // Under its key: the revocation's tombstone (or nothing), never a live session.
      const raw = await redis.command(`GET sess::${storeKeyOf(sid)}`);
      expect(!raw.includes('createdAt') || raw.includes('revoked')).toBe(true);
      const fresh = await login(b, 'fresh');
      expect((await list(a, fresh)).map((s) => s.userAgent)).toEqual(['fresh']);
      await b.http().get('/users/revoke-all').query({ user: alice }).expect(200);
    }
  });

  it('a regenerateId() on instance A racing a revokeAll on instance B leaves neither id alive', async () => {
    for (let round = 0; round < 10; round++) {
      const sid = await login(a, `round ${round}`);
      const [regenerated] = await Promise.all([
        get(a, '/users/regen', sid),
        b.http().get('/users/revoke-all').query({ user: alice }).expect(200),
      ]);
      expect(await readsSession(a, sid)).toBe(false);
      // When the revocation lands before instance A loads the session, regenerateId() starts a
      // fresh anonymous session under the new id: allowed, as long as it is not the user's.
      const renewed = sidOf(regenerated);
      if (renewed !== undefined) {
        expect((await get(b, '/users/whoami', renewed)).body).toEqual({ user: null });
        expect((await get(b, '/users/read', renewed)).body.session?.user).toBeUndefined();
      }
    }
  });

  it('maxSessionsPerUser: 1 on the instance that binds signs out the session on the other', async () => {
    const first = await login(a, 'Laptop');
    const second = await login(b, 'Phone');
    const next = await get(a, '/users/read', first);
    expect(next.body).toEqual({ session: null });
    expect(expiresCookie(next)).toBe(true);
    expect(await list(a, second)).toEqual([
      expect.objectContaining({ userAgent: 'Phone', current: true }),
    ]);
  });

  it('a request that does not touch the session sends Redis nothing, bound or not', async () => {
    const sid = await login(a, 'Quiet');
    // Every command but INFO itself, which this test sends.
    const stats = async () =>
      (await redis.command('INFO commandstats'))
        .split('\r\n')
        .filter((line) => line.startsWith('cmdstat_') && !line.startsWith('cmdstat_info'));
    const before = await stats();
    expect(before.length).toBeGreaterThan(0);
    await a.http().get('/ping').set('Cookie', `sid=${sid}`).expect(200);
    await b.http().get('/ping').set('Cookie', `sid=${sid}`).expect(200);
    expect(await stats()).toEqual(before);
    await a.http().get('/users/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(await stats()).not.toEqual(before);
  });
});
