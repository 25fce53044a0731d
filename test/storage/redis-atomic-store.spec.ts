import { jest } from '@jest/globals';
import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { newRecord, segmentState, serializeRecord } from '../../src/core/session-record.js';
import { KeyvSessionStore } from '../../src/storage/keyv-session-store.js';
import { RedisSessionStore } from '../../src/storage/redis-session-store.js';
import { sessionStoreFor } from '../../src/storage/session-store-for.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';

function recordWith(value: number, padding = 0) {
  const record = newRecord(Date.now());
  const values = new Map<string, unknown>([['v', value]]);
  if (padding > 0) values.set('pad', 'x'.repeat(padding));
  record.segments.set('S', segmentState(values));
  return record;
}

// A stored text up to 512 characters is compared byte for byte, a longer one by its SHA-1.
const SIZES = [
  ['a short session', 0],
  ['a session over 512 characters', 600],
] as const;

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

  /** The value stored under `key`, out of Redis's bulk reply. */
  async function storedBytes(key: string): Promise<string> {
    return (await redis.command(`GET ${key}`)).split('\r\n')[1]!;
  }

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

  it("writes the very bytes Keyv's own serializer writes, and reads what the cache's Keyv wrote", async () => {
    const keyv = cache.stores[0]!;
    const record = recordWith(7);
    await store.commit('sess:bytes', undefined, record, 60_000);
    const raw = await storedBytes('sess::sess:bytes');
    const { expires } = JSON.parse(raw) as { expires: number };
    expect(raw).toBe(await keyv.serialize!({ value: serializeRecord(record), expires }));

    await keyv.set('sess:by-keyv', serializeRecord(recordWith(8)), 60_000);
    const found = await store.load('sess:by-keyv');
    expect(typeof found === 'object' && found.record.segments.get('S')?.values.get('v')).toBe(8);
  });

  it('reads a value Keyv escaped (a string starting with ":") the way Keyv reads it', async () => {
    const keyv = cache.stores[0]!;
    await keyv.set('sess:colon', `:${serializeRecord(recordWith(1))}`, 60_000);
    expect(await keyv.get('sess:colon')).toMatch(/^:\{/);
    expect(await store.load('sess:colon')).toBe('corrupt');
  });

  it.each(SIZES)(
    'commits only over the version it read, and hands back what is stored on a conflict: %s',
    async (_, padding) => {
      const key = `sess:cas-${padding}`;
      const first = await store.commit(key, undefined, recordWith(1, padding), 60_000);
      if (!first.committed) throw new Error('first write refused');
      expect(await store.commit(key, undefined, recordWith(9, padding), 60_000)).toMatchObject({
        committed: false,
      });
      const second = await store.commit(key, first.version, recordWith(2, padding), 60_000);
      expect(second.committed).toBe(true);
      const stale = await store.commit(key, first.version, recordWith(3, padding), 60_000);
      expect(stale.committed).toBe(false);
      const current = !stale.committed && stale.current;
      expect(typeof current === 'object' && current.record.segments.get('S')?.values.get('v')).toBe(
        2,
      );
    },
  );

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
    expect(await store.move('sess:move', first.version, 60_000)).toMatchObject({ moved: true });
    expect(await store.load('sess:move')).toBe('moved');
    expect(await store.commit('sess:move', first.version, recordWith(2), 60_000)).toEqual({
      committed: false,
      current: 'moved',
    });
  });

  it('a write over the marker version that move answered puts a session back (a late move undone)', async () => {
    const first = await store.commit('sess:undo', undefined, recordWith(1), 60_000);
    if (!first.committed) throw new Error('first write refused');
    const moved = await store.move('sess:undo', first.version, 60_000);
    if (!moved.moved) throw new Error('move refused');
    expect(await store.commit('sess:undo', moved.marker, recordWith(2), 60_000)).toMatchObject({
      committed: true,
    });
    const found = await store.load('sess:undo');
    expect(typeof found === 'object' && found.record.segments.get('S')?.values.get('v')).toBe(2);
  });

  it.each(SIZES)(
    'move takes only the version it was given, and hands back what is stored instead: %s',
    async (_, padding) => {
      expect(await store.move(`sess:move-none-${padding}`, 'never stored', 60_000)).toEqual({
        moved: false,
        current: undefined,
      });
      expect(await redis.command(`EXISTS sess::sess:move-none-${padding}`)).toBe(':0\r\n');

      const key = `sess:move-cas-${padding}`;
      const first = await store.commit(key, undefined, recordWith(1, padding), 60_000);
      if (!first.committed) throw new Error('first write refused');
      const second = await store.commit(key, first.version, recordWith(2, padding), 60_000);
      if (!second.committed) throw new Error('second write refused');
      const stale = await store.move(key, first.version, 60_000);
      expect(stale.moved).toBe(false);
      const current = !stale.moved && stale.current;
      expect(typeof current === 'object' && current.version).toBe(second.version);
      expect(typeof current === 'object' && current.record.segments.get('S')?.values.get('v')).toBe(
        2,
      );

      expect(await store.move(key, second.version, 60_000)).toMatchObject({ moved: true });
      expect(await store.move(key, second.version, 60_000)).toEqual({
        moved: false,
        current: 'moved',
      });
    },
  );

  it('recovers when Redis forgot the scripts (restart, failover): NOSCRIPT loads them again', async () => {
    await redis.command('SCRIPT FLUSH');
    const written = await store.commit('sess:noscript', undefined, recordWith(1), 60_000);
    if (!written.committed) throw new Error('write refused');
    await redis.command('SCRIPT FLUSH');
    expect(await store.move('sess:noscript', written.version, 60_000)).toMatchObject({
      moved: true,
    });
  });

  it.each([
    ['synchronous', (text: string): string | Promise<string> => text],
    ['asynchronous', (text: string): string | Promise<string> => Promise.resolve(text)],
  ])(
    'a Keyv with its own %s serializer: the store writes and reads through it',
    async (kind, later) => {
      const keyv = new Keyv({
        store: new KeyvRedis({ url: redis.url }, { throwOnErrors: true }),
        namespace: 'own',
        serialize: (data) => later(`own:${JSON.stringify(data)}`),
        deserialize: async (text: string) => JSON.parse((await later(text)).slice(4)) as never,
      });
      const own = sessionStoreFor(createCache({ stores: [keyv] })) as RedisSessionStore;
      expect(own).toBeInstanceOf(RedisSessionStore);
      try {
        const key = `sess:${kind}`;
        const record = recordWith(1);
        const first = await own.commit(key, undefined, record, 60_000);
        expect(first.committed).toBe(true);
        expect(await storedBytes(`own::own:${key}`)).toMatch(/^own:\{"value":/);
        expect(await keyv.get(key)).toBe(serializeRecord(record));
        const loaded = await own.load(key);
        expect(typeof loaded === 'object' && loaded.record.segments.get('S')?.values.get('v')).toBe(
          1,
        );
        expect(await own.commit(key, 'not what is stored', recordWith(2), 60_000)).toEqual({
          committed: false,
          current: expect.objectContaining({ version: (first as { version: unknown }).version }),
        });
      } finally {
        await keyv.disconnect();
      }
    },
  );

  describe('sessions read or written lately are not decoded again', () => {
    it('a session read twice unchanged is decoded once: both reads share one record', async () => {
      await store.commit('sess:twice', undefined, recordWith(1), 60_000);
      const first = await store.load('sess:twice');
      const second = await store.load('sess:twice');
      expect(typeof first === 'object' && first.record.segments.get('S')?.values.get('v')).toBe(1);
      expect(second).toBe(first);
    });

    it('a write from elsewhere is read at once, never the remembered session', async () => {
      const first = await store.commit('sess:elsewhere', undefined, recordWith(1), 60_000);
      if (!first.committed) throw new Error('first write refused');
      await store.load('sess:elsewhere');
      const keyv = cache.stores[0]!;
      await keyv.set('sess:elsewhere', serializeRecord(recordWith(2)), 60_000);
      const found = await store.load('sess:elsewhere');
      expect(typeof found === 'object' && found.record.segments.get('S')?.values.get('v')).toBe(2);
      expect(typeof found === 'object' && found.version).not.toBe(first.version);
    });

    it('a session deleted, moved or expired in Redis is not answered from memory', async () => {
      await store.commit('sess:deleted', undefined, recordWith(1), 60_000);
      await store.load('sess:deleted');
      await redis.command('DEL sess::sess:deleted');
      expect(await store.load('sess:deleted')).toBeUndefined();

      await store.commit('sess:moved', undefined, recordWith(1), 60_000);
      await store.load('sess:moved');
      const moving = await store.load('sess:moved');
      await store.move('sess:moved', typeof moving === 'object' && moving.version, 60_000);
      expect(await store.load('sess:moved')).toBe('moved');
    });

    it('a remembered session whose envelope says it expired reads as nothing', async () => {
      await store.commit('sess:expiring', undefined, recordWith(1), 60_000);
      expect(typeof (await store.load('sess:expiring'))).toBe('object');
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
      try {
        expect(await store.load('sess:expiring')).toBeUndefined();
      } finally {
        clock.mockRestore();
      }
    });
  });

  it('reads corrupt bytes as corrupt, not as an outage', async () => {
    await redis.command('SET sess::sess:corrupt not-json');
    expect(await store.load('sess:corrupt')).toBe('corrupt');
  });

  it.each([
    ['a hash', 'HSET sess::sess:wrongtype-hash value x', 'sess:wrongtype-hash'],
    ['a list', 'RPUSH sess::sess:wrongtype-list x', 'sess:wrongtype-list'],
    ['a set', 'SADD sess::sess:wrongtype-set x', 'sess:wrongtype-set'],
  ])(
    'reads a key holding %s (WRONGTYPE) as corrupt in a load, a commit and a move',
    async (_, plant, key) => {
      expect(await redis.command(plant)).toBe(':1\r\n');
      expect(await store.load(key)).toBe('corrupt');
      expect(await store.commit(key, undefined, recordWith(1), 60_000)).toEqual({
        committed: false,
        current: 'corrupt',
      });
      expect(await store.commit(key, 'some version', recordWith(1), 60_000)).toEqual({
        committed: false,
        current: 'corrupt',
      });
      expect(await store.move(key, 'some version', 60_000)).toEqual({
        moved: false,
        current: 'corrupt',
      });
      await store.delete(key);
      expect((await store.commit(key, undefined, recordWith(2), 60_000)).committed).toBe(true);
    },
  );
});
