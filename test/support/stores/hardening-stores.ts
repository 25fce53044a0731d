import type { Cache } from 'cache-manager';
import { countingCache, type StoreCalls } from './counting-cache.js';
import { HardeningController } from '../controllers/hardening-controller.js';
import { redisCache } from './redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../servers/redis-server.js';
import { createTestApp, type AdapterName, type TestApp } from '../apps/test-app.js';

/** A store a test app runs on, with a look at what the backend holds. */
export interface InspectableStore {
  name: string;
  cache: Cache;
  /** Every key in the backend, as the backend names it (Keyv and Redis prefixes included). */
  keys(): Promise<string[]>;
  /** Writes `value` under the library's store key `key` through the cache's Keyv, not the library. */
  writeRaw(key: string, value: unknown): Promise<void>;
  /** What the cache's Keyv holds under the library's store key `key`. */
  readRaw(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** An in-memory counting cache (`countingCache()`), with its call counts. */
export function memoryStore(): InspectableStore & { calls: StoreCalls } {
  const { cache, calls, keyv } = countingCache();
  const adapter = keyv.store as { getStore(namespace?: string): { keys: Iterable<string> } };
  return {
    name: 'memory',
    cache,
    calls,
    keys: async () => [...adapter.getStore(keyv.namespace).keys],
    writeRaw: (key, value) => writeThroughKeyv(cache, key, value),
    readRaw: (key) => cache.stores[0]!.get(key),
    close: async () => undefined,
  };
}

/** A throwaway redis-server and a cache on it configured as docs/stores.md recommends. */
export async function redisStore(): Promise<InspectableStore & { redis: RedisServer }> {
  const redis = await startRedis();
  const { cache, disconnect } = redisCache(redis.url);
  return {
    name: 'redis',
    cache,
    redis,
    keys: async () =>
      (await redis.command('KEYS *'))
        .split('\r\n')
        .filter((line) => line !== '' && !/^[*$]/.test(line)),
    writeRaw: (key, value) => writeThroughKeyv(cache, key, value),
    readRaw: (key) => cache.stores[0]!.get(key),
    close: async () => {
      await disconnect();
      await redis.stop();
    },
  };
}

async function writeThroughKeyv(cache: Cache, key: string, value: unknown): Promise<void> {
  await cache.stores[0]!.set(key, value);
}

/** The stores a suite runs on: the counting memory store, and Redis when redis-server exists. */
export function storesFor(suite: string): Array<[string, () => Promise<InspectableStore>]> {
  const stores: Array<[string, () => Promise<InspectableStore>]> = [
    ['memory', async () => memoryStore()],
  ];
  if (redisAvailable(`${suite} on Redis`)) stores.push(['redis', redisStore]);
  return stores;
}

/**
 * For the enclosing `describe`: a HardeningController app on a fresh store from `openStore`,
 * handed to `ready` before the tests and closed with its store after them.
 */
export function appOnStore(
  adapter: AdapterName,
  openStore: () => Promise<InspectableStore>,
  ready: (store: InspectableStore, app: TestApp) => void,
): void {
  let store: InspectableStore | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    store = await openStore();
    app = await createTestApp(adapter, { store: store.cache }, [HardeningController]);
    ready(store, app);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });
}
