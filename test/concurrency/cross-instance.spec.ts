import { HardeningController } from '../support/controllers/hardening-controller.js';
import {
  CONCURRENT,
  keyNames,
  putConcurrently,
  readSegments,
  startSession,
} from '../support/scenarios/hardening-scenarios.js';
import { gate } from '../support/timing/hardening-sync.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/apps/test-app.js';

const RUNS = 3;
const runs = Array.from({ length: RUNS }, (_, i) => i + 1);

/**
 * Two Nest apps, each with its own SessionModule runtime and its own Redis client, on one Redis.
 * Nothing serializes their commits but Redis itself: the atomic compare-and-set keeps every key.
 */
const run = redisAvailable('concurrency across two app instances') ? describe : describe.skip;
run.each(ADAPTERS)(
  '50 concurrent requests across two app instances on one Redis (%s)',
  (adapter) => {
    let redis: RedisServer;
    const stores: Array<ReturnType<typeof redisCache>> = [];
    const apps: TestApp[] = [];
    beforeAll(async () => {
      redis = await startRedis();
      for (let i = 0; i < 2; i++) {
        const store = redisCache(redis.url);
        stores.push(store);
        // This suite counts lost updates, not how long 50 contending commits take: on a loaded
        // CI machine, with coverage on, the last of them can need more than the default 2 s
        // (the 503 for contention past storeTimeout is tested in two-processes.spec.ts).
        apps.push(
          await createTestApp(adapter, { store: store.cache, storeTimeout: 10_000 }, [
            HardeningController,
          ]),
        );
      }
    });
    afterAll(async () => {
      for (const t of apps) await t.close();
      for (const store of stores) await store.disconnect();
      await redis?.stop();
    });

    it('shares the session between the instances', async () => {
      const sid = await startSession(apps[0]!);
      expect(await readSegments(apps[1]!, sid, ['Init'])).toEqual({ Init: { x: 1 } });
    });

    it('a slow request on one instance does not revive a session destroyed on the other', async () => {
      const name = `cross-destroy-${adapter}`;
      const sid = await startSession(apps[0]!);
      const slow = apps[0]!
        .http()
        .get('/put')
        .query({ seg: 'Init', key: 'late', value: '1', gate: name })
        .set('Cookie', `sid=${sid}`)
        .then((res) => res);
      await gate(name).arrived();
      await apps[1]!.http().get('/destroy').set('Cookie', `sid=${sid}`).expect(200);
      gate(name).open();
      expect((await slow).status).toBe(200);
      expect(await readSegments(apps[0]!, sid, ['Init'])).toEqual({ Init: {} });
      expect(await readSegments(apps[1]!, sid, ['Init'])).toEqual({ Init: {} });
    });

    it.each([
      ...runs.map((n) => ['released together', n, true] as const),
      ...runs.map((n) => ['as they come', n, false] as const),
    ])('all 50 keys survive, %s (run %i)', async (_mode, _run, together) => {
      const sid = await startSession(apps[0]!);
      const responses = await putConcurrently(
        (i) => apps[i % 2]!,
        sid,
        keyNames().map((k) => ['S', k]),
        together,
      );
      for (const res of responses) expect(res.status).toBe(200);
      const { S, Init } = await readSegments(apps[1]!, sid, ['S', 'Init']);
      const survivors = Object.keys(S!);
      expect(survivors).toHaveLength(CONCURRENT);
      for (const key of survivors) expect(S![key]).toBe(key);
      // Data written before the burst is in every commit's base, so no interleaving loses it.
      expect(Init).toEqual({ x: 1 });
    });
  },
);
