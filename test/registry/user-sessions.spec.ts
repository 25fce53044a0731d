import { jest } from '@jest/globals';
import type { Response } from 'supertest';
import { SessionRegistry, type SessionModuleOptions } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { gate } from '../support/timing/hardening-sync.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type AdapterName,
  type TestApp,
} from '../support/apps/test-app.js';

/** The built-in store, Redis (atomic across processes) and a plain Keyv cache (atomic in-process). */
type StoreName = 'memory' | 'redis' | 'keyv';
const hasRedis = redisAvailable('user sessions on Redis');
const STORES: StoreName[] = hasRedis ? ['memory', 'redis', 'keyv'] : ['memory', 'keyv'];
const CASES = STORES.flatMap((store) => ADAPTERS.map((adapter) => [store, adapter] as const));

interface Listed {
  handle: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent?: string;
  current: boolean;
}

let redis: RedisServer | undefined;
beforeAll(async () => {
  if (hasRedis) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(CASES)("a user's sessions (%s store, %s)", (storeName, adapter) => {
  let t: TestApp;
  let disconnect: (() => Promise<void>) | undefined;

  async function start(options: SessionModuleOptions = {}): Promise<void> {
    if (storeName === 'redis') {
      // Every app gets a fresh database view: earlier tests' users must not leak in.
      await redis!.command('FLUSHALL');
      const { cache, disconnect: close } = redisCache(redis!.url);
      disconnect = close;
      t = await createTestApp(adapter as AdapterName, { ...options, store: cache }, [
        RegistryController,
      ]);
    } else if (storeName === 'keyv') {
      const { cache } = countingCache();
      t = await createTestApp(adapter as AdapterName, { ...options, store: cache }, [
        RegistryController,
      ]);
    } else {
      t = await createTestApp(adapter as AdapterName, options, [RegistryController]);
    }
  }

  afterEach(async () => {
    await t?.close();
    await disconnect?.();
    disconnect = undefined;
  });

  async function login(user: string, userAgent = 'Browser', order?: string): Promise<string> {
    const res = await t
      .http()
      .get('/users/login')
      .query(order ? { user, order } : { user })
      .set('User-Agent', userAgent)
      .expect(200);
    return sidOf(res)!;
  }

  function get(path: string, sid: string, query: Record<string, string> = {}): Promise<Response> {
    return t.http().get(path).query(query).set('Cookie', `sid=${sid}`).expect(200);
  }

  async function list(sid: string, user?: string): Promise<Listed[]> {
    return (await get('/users/list', sid, user ? { user } : {})).body as Listed[];
  }

  async function readsSession(sid: string): Promise<boolean> {
    return (await get('/users/read', sid)).body.session !== null;
  }

  function expiresCookie(res: Response): boolean {
    return /Max-Age=0/i.test(setCookieFor(res) ?? '');
  }

  it('lists three logins, most recently seen first, the asking one current', async () => {
    await start();
    const first = await login('alice', 'Firefox');
    await login('bob', 'Other');
    const second = await login('alice', 'Chromium');
    const third = await login('alice', 'Safari');
    await get('/users/put', first, { key: 'seen' });

    const listed = await list(second);
    expect(listed).toHaveLength(3);
    expect(listed.map((s) => s.userAgent)).toEqual(['Firefox', 'Safari', 'Chromium']);
    expect(listed.map((s) => s.current)).toEqual([false, false, true]);
    expect(new Set(listed.map((s) => s.handle)).size).toBe(3);
    for (const session of listed) {
      expect(session.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Date.parse(session.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(session.createdAt));
      // A handle names the session; it is neither its id nor anything the cookie carries.
      for (const sid of [first, second, third]) expect(sid).not.toContain(session.handle);
    }
    expect((await list(third)).filter((s) => s.current).map((s) => s.userAgent)).toEqual([
      'Safari',
    ]);
    expect(await list(second, 'bob')).toEqual([
      expect.objectContaining({ userAgent: 'Other', current: false }),
    ]);
  });

  it('getUserId() follows bindUser(), survives regenerateId() and clear(); destroy() unbinds and unlists', async () => {
    await start();
    const sid = await login('alice', 'bind-first', 'bind-first');
    expect((await get('/users/whoami', sid)).body).toEqual({ user: 'alice' });
    const regenerated = sidOf(await get('/users/regen', sid))!;
    expect(regenerated).not.toBe(sid);
    await get('/users/clear', regenerated);
    expect((await get('/users/whoami', regenerated)).body).toEqual({ user: 'alice' });
    const other = await login('alice');
    expect(await list(other)).toHaveLength(2);

    await get('/users/logout', regenerated);
    expect((await get('/users/whoami', regenerated)).body).toEqual({ user: null });
    expect(await list(other)).toEqual([expect.objectContaining({ current: true })]);
    // A session never bound has no user.
    const anonymous = sidOf(await t.http().get('/users/put').query({ key: 'k' }))!;
    expect((await get('/users/whoami', anonymous)).body).toEqual({ user: null });
  });

  it('revoke(): the session reads as gone at its next request and its cookie is expired', async () => {
    await start();
    const victim = await login('alice', 'Old laptop');
    const mine = await login('alice', 'Phone');
    const handle = (await list(mine)).find((s) => !s.current)!.handle;

    const revoked = await t.http().get('/users/revoke').query({ user: 'alice', handle });
    expect(revoked.body).toEqual({ revoked: true });

    const next = await get('/users/read', victim);
    expect(next.body).toEqual({ session: null });
    expect(expiresCookie(next)).toBe(true);
    // A write with the revoked cookie starts a new, anonymous session: the old one stays gone.
    const write = await get('/users/put', victim, { key: 'again' });
    expect(sidOf(write)).not.toBe(victim);
    expect((await get('/users/whoami', sidOf(write)!)).body).toEqual({ user: null });
    expect(await readsSession(victim)).toBe(false);

    expect((await list(mine)).map((s) => s.userAgent)).toEqual(['Phone']);
    const again = await t.http().get('/users/revoke').query({ user: 'alice', handle });
    expect(again.body).toEqual({ revoked: false });
    // Another user's handle is unknown to this user.
    const bob = await login('bob');
    const bobHandle = (await list(bob))[0]!.handle;
    expect(
      (await t.http().get('/users/revoke').query({ user: 'alice', handle: bobHandle })).body,
    ).toEqual({ revoked: false });
    expect(await readsSession(bob)).toBe(true);
  });

  it('revokeAll() after regenerateId() keeps only the asking session (the password-change recipe)', async () => {
    await start();
    const others = [await login('alice', 'A'), await login('alice', 'B')];
    const mine = await login('alice', 'C');
    const bob = await login('bob');

    const res = await get('/users/revoke-others', mine, { password: '1' });
    expect(res.body).toEqual({ revoked: 2 });
    const renewed = sidOf(res)!;
    expect(renewed).not.toBe(mine);

    for (const sid of others) expect(await readsSession(sid)).toBe(false);
    expect(await readsSession(mine)).toBe(false);
    expect(await readsSession(renewed)).toBe(true);
    expect(await list(renewed)).toEqual([
      expect.objectContaining({ userAgent: 'C', current: true }),
    ]);
    expect(await readsSession(bob)).toBe(true);

    expect((await t.http().get('/users/revoke-all').query({ user: 'alice' })).body).toEqual({
      revoked: 1,
    });
    expect(await readsSession(renewed)).toBe(false);
  });

  it('20 writes that loaded the session before a revokeAll() never bring it back', async () => {
    await start();
    const sid = await login('alice');
    const names = Array.from({ length: 20 }, (_, i) => `${storeName}-${adapter}-race-${i}`);
    // then() sends the request now: supertest sends nothing until it is awaited.
    const writes = names.map((name, i) =>
      get('/users/put', sid, { key: `k${i}`, gate: name }).then((res) => res),
    );
    await Promise.all(names.map((name) => gate(name).arrived()));

    expect((await t.http().get('/users/revoke-all').query({ user: 'alice' })).body).toEqual({
      revoked: 1,
    });
    for (const name of names) gate(name).open();
    const responses = await Promise.all(writes);
    // Each write finds its session gone: no new session under the old id, the cookie expired.
    for (const res of responses) expect(expiresCookie(res)).toBe(true);
    expect(await readsSession(sid)).toBe(false);
    const fresh = await login('alice');
    expect(await list(fresh)).toHaveLength(1);
  });

  it('a login racing a revokeAll() is either signed out or listed, never a hidden live session', async () => {
    await start();
    const mine = await login('alice', 'Kept');
    const racing = Array.from({ length: 10 }, (_, i) =>
      t.http().get('/users/login').query({ user: 'alice' }).set('User-Agent', `racer ${i}`),
    );
    const revokeAll = get('/users/revoke-others', mine);
    const logins = await Promise.all(racing);
    await revokeAll;
    const listed = new Set((await list(mine)).map((s) => s.userAgent));
    for (const [i, res] of logins.entries()) {
      const sid = sidOf(res);
      if (sid === undefined || !(await readsSession(sid))) continue;
      expect(listed).toContain(`racer ${i}`);
    }
  });

  it('two regenerateId() of one bound session at once: the session that lives on stays listed and revocable', async () => {
    await start();
    const other = await login('alice', 'Other');
    const sid = await login('alice', 'Twice');
    const names = [0, 1].map((i) => `${storeName}-${adapter}-regen-${i}`);
    const regens = names.map((name) =>
      get('/users/regen-gated', sid, { gate: name }).then((res) => res),
    );
    await Promise.all(names.map((name) => gate(name).arrived()));
    for (const name of names) gate(name).open();
    const answered = await Promise.all(regens);
    const winners = answered.map((res) => sidOf(res)).filter((s) => s !== undefined);
    expect(winners).toHaveLength(1);
    expect(await readsSession(winners[0]!)).toBe(true);
    expect((await list(other)).map((s) => s.userAgent).sort()).toEqual(['Other', 'Twice']);
    // Past the minute in which a regenerated session's empty new key counts as on its way.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 65_000);
    try {
      expect((await list(other)).map((s) => s.userAgent).sort()).toEqual(['Other', 'Twice']);
    } finally {
      clock.mockRestore();
    }
    expect((await get('/users/revoke-others', other)).body).toEqual({ revoked: 1 });
    expect(await readsSession(winners[0]!)).toBe(false);
    expect((await list(other)).map((s) => s.userAgent)).toEqual(['Other']);
  });

  it('ten first logins of one user at once are all listed', async () => {
    await start();
    const sids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login('carol', `device ${i}`)),
    );
    const listed = await list(sids[0]!);
    expect(listed.map((s) => s.userAgent).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `device ${i}`).sort(),
    );
  });

  it('maxSessionsPerUser: 1 signs out every other device at the next login', async () => {
    await start({ maxSessionsPerUser: 1 });
    const first = await login('alice', 'First');
    const bob = await login('bob');
    const second = await login('alice', 'Second');
    const next = await get('/users/read', first);
    expect(next.body).toEqual({ session: null });
    expect(expiresCookie(next)).toBe(true);
    expect(await list(second)).toEqual([
      expect.objectContaining({ userAgent: 'Second', current: true }),
    ]);
    expect(await readsSession(bob)).toBe(true);
  });

  it('maxSessionsPerUser: 1 keeps exactly one of several logins racing each other', async () => {
    await start({ maxSessionsPerUser: 1 });
    for (let round = 0; round < 20; round++) {
      const sids = await Promise.all([1, 2, 3].map((i) => login(`racer${round}`, `Device ${i}`)));
      const alive = [];
      for (const sid of sids) if (await readsSession(sid)) alive.push(sid);
      expect(alive.length).toBe(1);
    }
  });

  it('maxSessionsPerUser: 2 signs out the least recently seen', async () => {
    await start({ maxSessionsPerUser: 2 });
    const a = await login('alice', 'A');
    const b = await login('alice', 'B');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await get('/users/put', a, { key: 'recent' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const c = await login('alice', 'C');
    expect(await readsSession(b)).toBe(false);
    expect(await readsSession(a)).toBe(true);
    expect((await list(c)).map((s) => s.userAgent)).toEqual(['C', 'A']);
  });

  it('maxSessionsPerUser: 2 does not count a session logged out by destroy() alone', async () => {
    await start({ maxSessionsPerUser: 2 });
    const b = await login('alice', 'B');
    const a = await login('alice', 'A');
    // The logout loads nothing itself: destroy() is its only call.
    await get('/users/logout', a);
    const c = await login('alice', 'C');
    expect(await readsSession(b)).toBe(true);
    expect((await list(c)).map((s) => s.userAgent)).toEqual(['C', 'B']);
  });

  it('refuses bad user ids with a TypeError and unknown handles with false, changing nothing', async () => {
    await start();
    const registry = t.app.get(SessionRegistry);
    const sid = await login('alice');
    const handle = (await list(sid))[0]!.handle;
    // '\uD800' and '\uDC00' alone would both reach the index of user '\uFFFD'.
    for (const bad of ['', 'x'.repeat(257), 42, null, undefined, { id: 'alice' }, '\uD800']) {
      await expect(registry.list(bad as string)).rejects.toThrow(TypeError);
      await expect(registry.revoke(bad as string, handle)).rejects.toThrow(TypeError);
      await expect(registry.revokeAll(bad as string)).rejects.toThrow(TypeError);
    }
    for (const notAString of [42, null, undefined, ['x'], { handle }]) {
      expect(await registry.revoke('alice', notAString as unknown as string)).toBe(false);
    }
    await expect(registry.revokeAll('alice', { except: {} as never })).rejects.toThrow(TypeError);
    for (const unknown of ['', 'nope', 'A'.repeat(22), handle.slice(1), `${handle}x`]) {
      expect(await registry.revoke('alice', unknown)).toBe(false);
    }
    expect(await registry.revoke('nobody', handle)).toBe(false);
    expect(await registry.list('x'.repeat(256))).toEqual([]);
    expect(await registry.revokeAll('nobody')).toBe(0);
    // Over HTTP an unknown handle is a plain `false`, never a 500.
    const res = await t.http().get('/users/revoke').query({ user: 'alice', handle: '../../etc' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: false });
    expect(await readsSession(sid)).toBe(true);
    expect(await list(sid)).toHaveLength(1);
  });
});
