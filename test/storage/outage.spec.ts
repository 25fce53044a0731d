import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { plainRedisCache } from '../support/stores/storage-plain-redis-cache.js';
import { pollUntil, timed } from '../support/timing/storage-polling.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

// Unhandled rejections and uncaught exceptions: Jest (jest-circus) listens on the real process
// and fails the test whose async work raised them, even when they come after its last line.
// A `process.on` spy in this file would never fire: the test's `process` is a sandbox copy.

const STORE_TIMEOUT = 500;
/** Not a speed bound: only proves a request ends instead of hanging on the store. */
const NO_HANG = STORE_TIMEOUT + 3000;

const STORES = {
  'Redis configured as recommended': redisCache,
  'Redis through a plain Keyv (no throwOnErrors, no command timeout)': plainRedisCache,
};
const CASES = ADAPTERS.flatMap((adapter) =>
  Object.entries(STORES).map(([label, build]) => ({ adapter, label, build })),
);

const run = redisAvailable('storage: store outage') ? describe : describe.skip;

run.each(CASES)('store outage ($adapter, $label)', ({ adapter, build }) => {
  let redis: RedisServer;
  let client: ReturnType<typeof build>;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startRedis();
    client = build(redis.url);
    t = await createTestApp(adapter, { store: client.cache, storeTimeout: STORE_TIMEOUT }, [
      StorageController,
    ]);
  });
  afterAll(async () => {
    // Let store calls abandoned by a timeout settle inside this suite, where Jest watches them.
    await sleep(STORE_TIMEOUT * 2);
    await t?.close();
    await client?.disconnect();
    await redis?.stop();
  });

  async function expectUnavailable(res: Promise<Response>): Promise<void> {
    const { result, ms } = await timed(() => res);
    expect(result.status).toBe(503);
    expect(result.body.reason).toBe('session_store_unavailable');
    expect(ms).toBeLessThan(NO_HANG);
    // Neither a cookie for a session that was not saved, nor one that logs the user out.
    expect(setCookieFor(result)).toBeUndefined();
  }

  /** What a session route and the untouched routes answer while the store is out. */
  async function expectOutageBehaviour(cookie: string): Promise<void> {
    await expectUnavailable(t.http().get('/get').set('Cookie', cookie));
    await t.http().get('/untouched').set('Cookie', cookie).expect(200, { ok: true });
    await t.http().get('/untouched').expect(200, { ok: true });
    await expectUnavailable(t.http().get('/put/new-visitor'));
  }

  it('answers 503 while Redis is paused, serves other routes, then reads the old data', async () => {
    const sid = sidOf(await t.http().get('/put/before').expect(200))!;
    const cookie = `sid=${sid}`;
    const token = (await t.http().get('/token').set('Cookie', cookie).expect(200)).body.token;

    redis.freeze();
    try {
      await expectOutageBehaviour(cookie);
      // The CSRF guard needs the session too: an outage is a 503, not a forged-request 403.
      await expectUnavailable(
        t.http().post('/post').set('Cookie', cookie).set('x-csrf-token', token),
      );
    } finally {
      redis.thaw();
    }

    const after = await pollUntil('session route answers again after the pause', async () => {
      const res = await t.http().get('/get').set('Cookie', cookie);
      return res.status === 503 ? undefined : res;
    });
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ value: 'before' });
  });

  it('answers 503 while Redis is down and recovers by itself when it is back', async () => {
    const sid = sidOf(await t.http().get('/put/before').expect(200))!;
    const cookie = `sid=${sid}`;

    await redis.stop();
    await expectOutageBehaviour(cookie);
    await expectUnavailable(t.http().get('/put/during').set('Cookie', cookie));

    await redis.restart();
    const written = await pollUntil('a new session can be written again', async () => {
      const res = await t.http().get('/put/after');
      return res.status === 503 ? undefined : res;
    });
    expect(written.status).toBe(200);
    const newSid = sidOf(written)!;
    const read = await t.http().get('/get').set('Cookie', `sid=${newSid}`).expect(200);
    expect(read.body).toEqual({ value: 'after' });

    // The restarted Redis has no persistence (--save ''): the old session is gone, cleanly.
    const old = await t.http().get('/get').set('Cookie', cookie).expect(200);
    expect(old.body).toEqual({ value: null });
  });
});
