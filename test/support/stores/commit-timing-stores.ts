import type { SessionModuleOptions } from '../../../src/index.js';
import { redisAvailable, startRedis, type RedisServer } from '../servers/redis-server.js';
import { countingCache } from './counting-cache.js';
import { redisCache } from './redis-cache.js';

/** A store for a suite's apps, by when its commits end. */
export interface CommitTimingStore {
  name: string;
  options: () => SessionModuleOptions;
}

/**
 * Stores whose commits end at three points of a request: the memory store inside the call that
 * sends the headers, a Keyv in memory through a promise (the response's calls are held and
 * replayed within the same turn), and Redis over the network, after the framework's own steps of
 * the request have run (a real server, started for the suite when Redis is installed). Call at
 * the top of a spec file: it registers the hooks that start and stop the server.
 */
export function commitTimingStores(suite: string): CommitTimingStore[] {
  const withRedis = redisAvailable(suite);
  let redis: RedisServer | undefined;
  const disconnects: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    if (withRedis) redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(disconnects.map((disconnect) => disconnect()));
    await redis?.stop();
  });
  const stores: CommitTimingStore[] = [
    { name: 'memory store', options: () => ({}) },
    { name: 'asynchronous store', options: () => ({ store: countingCache().cache }) },
  ];
  if (!withRedis) return stores;
  const onRedis = (): SessionModuleOptions => {
    const made = redisCache(redis!.url);
    disconnects.push(made.disconnect);
    return { store: made.cache };
  };
  return [...stores, { name: 'Redis', options: onRedis }];
}
