import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { StorageController } from '../support/controllers/storage-controller.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { ADAPTERS, createTestApp, sidOf, type AdapterName } from '../support/apps/test-app.js';

// A cache the app passes in is the app's, and may serve app after app (a test suite's, say):
// each app that closes must leave it as it found it, or its listeners pile up (Keyv warns past
// 100) and keep every closed app's store reachable.

const errorListenersOf = (keyv: Keyv) => keyv.listeners('error').length;

/** Starts and closes three apps in turn over `cache`, whose one store is `keyv`. */
async function startAndCloseApps(adapter: AdapterName, cache: Cache, keyv: Keyv): Promise<void> {
  const before = errorListenersOf(keyv);
  for (let i = 0; i < 3; i++) {
    const t = await createTestApp(adapter, { store: cache }, [StorageController]);
    expect(errorListenersOf(keyv)).toBe(before + 1);
    const sid = sidOf(await t.http().get(`/put/v${i}`).expect(200))!;
    const read = await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toEqual({ value: `v${i}` });
    await t.close();
    expect(errorListenersOf(keyv)).toBe(before);
  }
}

describe.each(ADAPTERS)('a generic Keyv cache shared by apps in turn (%s)', (adapter) => {
  it('each closed app takes its listener off, and the next one works', async () => {
    const keyv = new Keyv({ store: new Map() });
    await startAndCloseApps(adapter, createCache({ stores: [keyv] }), keyv);
  });
});

const onRedis = redisAvailable('storage: a Redis cache shared by apps') ? describe : describe.skip;

onRedis('a Redis cache shared by apps in turn', () => {
  let redis: RedisServer;
  let client: ReturnType<typeof redisCache>;
  beforeAll(async () => {
    redis = await startRedis();
    client = redisCache(redis.url);
  });
  afterAll(async () => {
    await client?.disconnect();
    await redis?.stop();
  });

  it.each(ADAPTERS)(
    '%s: each closed app takes its listener off, and the next one works',
    (adapter) => startAndCloseApps(adapter, client.cache, client.cache.stores[0] as Keyv),
  );
});
