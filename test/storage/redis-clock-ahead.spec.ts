import { StorageController } from '../support/controllers/storage-controller.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

const run = redisAvailable('Redis: an instance whose clock is ahead') ? describe : describe.skip;

/**
 * The marker `regenerateId()` leaves under the old id lives for 60 s by Redis's relative TTL. An
 * instance whose clock runs ahead of the one that wrote it must still honour it while Redis does.
 */
run.each(ADAPTERS)('a moved marker read by an instance whose clock is ahead (%s)', (adapter) => {
  const clock = fakeClock();
  let redis: RedisServer;
  let t: TestApp;
  let disconnect: () => Promise<void>;
  beforeAll(async () => {
    redis = await startRedis();
    const made = redisCache(redis.url);
    disconnect = made.disconnect;
    t = await createTestApp(adapter, { store: made.cache }, [StorageController]);
  });
  afterAll(async () => {
    await t?.close();
    await disconnect?.();
    await redis?.stop();
  });

  it('still takes a late sibling of the login for one: no cookie, and the login stays', async () => {
    const sid = sidOf(await t.http().get('/put/first').expect(200))!;
    const newSid = sidOf(await t.http().get('/regenerate').set('Cookie', `sid=${sid}`))!;
    // Two minutes on, as an instance 120 s ahead sees it; Redis still keeps the marker.
    clock.advance(120_000);
    const late = await t.http().get('/put/late').set('Cookie', `sid=${sid}`).expect(200);
    expect(setCookieFor(late)).toBeUndefined();
    const read = await t.http().get('/get').set('Cookie', `sid=${newSid}`).expect(200);
    expect(read.body).toMatchObject({ value: 'first' });
  });

  it('lasts no longer than ten minutes past its own expiry, also with its TTL taken off', async () => {
    const sid = sidOf(await t.http().get('/put/first').expect(200))!;
    await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
    const keys = (await redis.command('KEYS *')).split('\r\n').filter((line) => line.includes(':'));
    let marker = '';
    for (const key of keys) if ((await redis.command(`GET ${key}`)).includes('moved')) marker = key;
    expect(await redis.command(`PERSIST ${marker}`)).toBe(':1\r\n');
    clock.advance(12 * 60_000);
    const late = await t.http().get('/put/late').set('Cookie', `sid=${sid}`).expect(200);
    expect(sidOf(late)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
