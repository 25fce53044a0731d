import type { Cache } from 'cache-manager';
import { newRecord, serializeRecord } from '../../src/core/session-record.js';
import { KeyvSessionStore } from '../../src/storage/keyv-session-store.js';
import { RedisSessionStore } from '../../src/storage/redis-session-store.js';
import { sessionStoreFor } from '../../src/storage/session-store-for.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';

function recordWith(value: number) {
  const record = newRecord(Date.now());
  record.segments.set('S', { values: new Map([['v', value]]), flash: new Map() });
  return record;
}

describe('choosing the store for a cache', () => {
  it('a cache on another Keyv store gets the generic, in-process compare-and-set', () => {
    expect(sessionStoreFor(countingCache().cache)).toBeInstanceOf(KeyvSessionStore);
  });
});

const run = redisAvailable('the atomic Redis store') ? describe : describe.skip;
run('the atomic Redis store', () => {
  let redis: RedisServer;
  let cache: Cache;
  let disconnect: () => Promise<void>;
  let store: RedisSessionStore;
  beforeAll(async () => {
    redis = await startRedis();
    ({ cache, disconnect } = redisCache(redis.url));
    store = sessionStoreFor(cache) as RedisSessionStore;
    await store.connect();
  });
  afterAll(async () => {
    await disconnect();
    await redis?.stop();
  });

  it('is chosen for a cache whose one store is @keyv/redis', () => {
    expect(store).toBeInstanceOf(RedisSessionStore);
    expect(store.atomic).toBe(true);
  });

  it("keeps Keyv's format: the cache's own Keyv reads what the store wrote", async () => {
    const record = recordWith(1);
    expect(await store.commit('sess:format', undefined, record, 60_000)).toMatchObject({
      committed: true,
    });
    expect(await cache.stores[0]!.get('sess:format')).toBe(serializeRecord(record));
  });

  it('commits only over the version it read, and hands back what is stored on a conflict', async () => {
    const first = await store.commit('sess:cas', undefined, recordWith(1), 60_000);
    if (!first.committed) throw new Error('first write refused');
    const second = await store.commit('sess:cas', first.version, recordWith(2), 60_000);
    expect(second.committed).toBe(true);
    const stale = await store.commit('sess:cas', first.version, recordWith(3), 60_000);
    expect(stale.committed).toBe(false);
    const current = !stale.committed && stale.current;
    expect(typeof current === 'object' && current.record.segments.get('S')?.values.get('v')).toBe(
      2,
    );
  });

  it('a write against a key that is gone fails: a destroyed session is never written back', async () => {
    const first = await store.commit('sess:gone', undefined, recordWith(1), 60_000);
    if (!first.committed) throw new Error('first write refused');
    await store.delete('sess:gone');
    expect(await store.commit('sess:gone', first.version, recordWith(2), 60_000)).toEqual({
      committed: false,
      current: undefined,
    });
    expect(await store.load('sess:gone')).toBeUndefined();
  });

  it('move takes the session and leaves the moved marker, which no write can replace', async () => {
    const first = await store.commit('sess:move', undefined, recordWith(1), 60_000);
    if (!first.committed) throw new Error('first write refused');
    const taken = await store.move('sess:move', 60_000);
    expect(typeof taken === 'object' && taken.version).toBe(first.version);
    expect(await store.load('sess:move')).toBe('moved');
    expect(await store.commit('sess:move', first.version, recordWith(2), 60_000)).toEqual({
      committed: false,
      current: 'moved',
    });
  });

  it('recovers when Redis forgot the scripts (restart, failover): NOSCRIPT loads them again', async () => {
    await redis.command('SCRIPT FLUSH');
    expect((await store.commit('sess:noscript', undefined, recordWith(1), 60_000)).committed).toBe(
      true,
    );
  });

  it('reads corrupt bytes as corrupt, not as an outage', async () => {
    await redis.command('SET sess::sess:corrupt not-json');
    expect(await store.load('sess:corrupt')).toBe('corrupt');
  });
});
