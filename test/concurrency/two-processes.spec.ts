import type { Response } from 'supertest';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startAppProcess, type AppProcess } from '../support/process/app-process.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, sidOf } from '../support/apps/test-app.js';

const CONCURRENT = 50;
const BURSTS = 10;
const STORE_TIMEOUT = 1500;
/** What a request may take past `storeTimeout` on a loaded 2-core machine. */
const MARGIN = 1500;

/**
 * Two app processes (not two apps in one process) on one real Redis: nothing in the library
 * serializes their commits, so only the atomic compare-and-set keeps every update.
 */
const run = redisAvailable('two app processes on one Redis') ? describe : describe.skip;
run.each(ADAPTERS)('two app processes on one Redis (%s)', (adapter) => {
  let redis: RedisServer;
  const apps: AppProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      apps.push(await startAppProcess(adapter, redis.url, { storeTimeout: STORE_TIMEOUT }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await redis?.stop();
  });

  const appFor = (i: number) => apps[i % 2]!;

  async function startSession(): Promise<string> {
    const res = await apps[0]!
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'x', value: '1' })
      .expect(200);
    return sidOf(res)!;
  }

  async function segment(
    sid: string,
    seg: string,
    app = apps[1]!,
  ): Promise<Record<string, unknown>> {
    const res = await app
      .http()
      .get('/all')
      .query({ segs: seg })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    return Object.fromEntries(res.body.pairs as Array<[string, Record<string, unknown>]>)[seg]!;
  }

  /** Makes the next `perProcess` barrier requests of each process wait until all of them loaded. */
  async function armBarriers(perProcess = CONCURRENT / 2): Promise<void> {
    for (const app of apps) await app.http().get('/arm').query({ n: perProcess }).expect(200);
  }

  async function holdsSession(sid: string): Promise<boolean> {
    const raw = await redis.command(`GET sess::${storeKeyOf(sid)}`);
    return raw.includes('createdAt');
  }

  it(`${CONCURRENT} concurrent writers split over the instances all keep their key, in ${BURSTS} bursts`, async () => {
    for (let burst = 0; burst < BURSTS; burst++) {
      const sid = await startSession();
      await armBarriers();
      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          appFor(i)
            .http()
            .get('/put')
            .query({ seg: 'S', key: `k${i}`, value: JSON.stringify(i), barrier: '1' })
            .set('Cookie', `sid=${sid}`),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const values = await segment(sid, 'S');
      expect(Object.keys(values)).toHaveLength(CONCURRENT);
      expect(await segment(sid, 'Init')).toEqual({ x: 1 });
    }
  });

  it(`${CONCURRENT} concurrent removes split over the instances all stay removed`, async () => {
    const sid = await startSession();
    const keys = Array.from({ length: CONCURRENT }, (_, i) => `k${i}`);
    await apps[0]!
      .http()
      .get('/put-many')
      .query({ seg: 'S', n: CONCURRENT })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(Object.keys(await segment(sid, 'S'))).toHaveLength(CONCURRENT);
    await armBarriers();
    const responses = await Promise.all(
      keys.map((key, i) =>
        appFor(i)
          .http()
          .get('/remove')
          .query({ seg: 'S', key, barrier: '1' })
          .set('Cookie', `sid=${sid}`),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(await segment(sid, 'S')).toEqual({});
    expect(await segment(sid, 'Init')).toEqual({ x: 1 });
  });

  it("keeps every tab's first CSRF token valid when tabs on both instances make the secret at once", async () => {
    const tabs = 10;
    for (let burst = 0; burst < 5; burst++) {
      const sid = await startSession();
      await armBarriers(tabs / 2);
      const responses = await Promise.all(
        Array.from({ length: tabs }, (_, i) =>
          appFor(i).http().get('/csrf-token').query({ barrier: '1' }).set('Cookie', `sid=${sid}`),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      expect(responses.filter((r) => sidOf(r) !== undefined)).toEqual([]);
      for (const [i, { body }] of responses.entries()) {
        const check = await appFor(i + 1)
          .http()
          .get('/csrf-valid')
          .query({ token: (body as { token: string }).token })
          .set('Cookie', `sid=${sid}`)
          .expect(200);
        expect(check.body).toEqual({ valid: true });
      }
      expect(await segment(sid, 'Init')).toEqual({ x: 1 });
    }
  });

  /**
   * 20 writes of `sid` on instance A and one request to `path` on instance B, all at once; every
   * answer is a 200. Returns B's response.
   */
  async function writesRacing(sid: string, path: string): Promise<Response> {
    const writes = Array.from({ length: 20 }, (_, i) =>
      apps[0]!
        .http()
        .get('/put')
        .query({ seg: 'S', key: `w${i}`, value: '1' })
        .set('Cookie', `sid=${sid}`),
    );
    const other = apps[1]!.http().get(path).set('Cookie', `sid=${sid}`);
    const all = await Promise.all([...writes, other]);
    expect(all.map((r) => r.status)).toEqual(all.map(() => 200));
    return all.at(-1)!;
  }

  it('writes racing a destroy on the other instance never bring the session back', async () => {
    for (let round = 0; round < 5; round++) {
      const sid = await startSession();
      await writesRacing(sid, '/destroy');
      expect(await holdsSession(sid)).toBe(false);
      expect(await segment(sid, 'Init', apps[0]!)).toEqual({});
      expect(await segment(sid, 'Init', apps[1]!)).toEqual({});
    }
  });

  it('writes racing a regenerateId on the other instance never bring the old id back', async () => {
    for (let round = 0; round < 5; round++) {
      const sid = await startSession();
      const newSid = sidOf(await writesRacing(sid, '/regenerate'))!;
      expect(newSid).not.toBe(sid);
      expect(await holdsSession(sid)).toBe(false);
      expect(await segment(sid, 'Init', apps[0]!)).toEqual({});
      expect(await segment(newSid, 'Init', apps[0]!)).toEqual({ x: 1 });
    }
  });

  it('commits that conflict while Redis refuses writes (CLIENT PAUSE) land or answer 503 within storeTimeout', async () => {
    const sid = await startSession();
    await redis.command('CLIENT PAUSE 800 WRITE');
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        appFor(i)
          .http()
          .get('/put')
          .query({ seg: 'S', key: `p${i}`, value: JSON.stringify(i) })
          .set('Cookie', `sid=${sid}`)
          .then((res) => ({ status: res.status, ms: Date.now() - started })),
      ),
    );
    for (const { status, ms } of responses) {
      expect([200, 503]).toContain(status);
      expect(ms).toBeLessThan(STORE_TIMEOUT + MARGIN);
    }
    const stored = await segment(sid, 'S');
    responses.forEach(({ status }, i) => {
      if (status === 200) expect(stored[`p${i}`]).toBe(i);
    });
  });

  it('8 commits of one session queued on a stalled Redis all answer within storeTimeout', async () => {
    const sid = await startSession();
    await redis.command(`CLIENT PAUSE ${STORE_TIMEOUT * 3} ALL`);
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        apps[0]!
          .http()
          .get('/put')
          .query({ seg: 'S', key: `q${i}`, value: '1' })
          .set('Cookie', `sid=${sid}`)
          .then((res) => ({ status: res.status, ms: Date.now() - started })),
      ),
    );
    await redis.command('CLIENT UNPAUSE');
    for (const { status, ms } of responses) {
      expect(status).toBe(503);
      expect(ms).toBeLessThan(STORE_TIMEOUT + MARGIN);
    }
  });

  it('20 concurrent first requests to a freshly started instance all succeed (connected at startup)', async () => {
    const fresh = await startAppProcess(adapter, redis.url, { storeTimeout: STORE_TIMEOUT });
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fresh
            .http()
            .get('/put')
            .query({ seg: 'S', key: 'first', value: JSON.stringify(i) }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    } finally {
      await fresh.stop();
    }
  });
});
