import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { newRecord } from '../../src/core/session-record.js';
import { KeyvSessionStore } from '../../src/storage/keyv-session-store.js';
import { startRedis } from '../support/servers/redis-server.js';
import { HardeningController } from '../support/controllers/hardening-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import { redisStore, type InspectableStore } from '../support/stores/hardening-stores.js';
import { redisAvailable, type RedisServer } from '../support/servers/redis-server.js';
import { gate } from '../support/timing/hardening-sync.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

/**
 * A key of another Redis type under a session key (left by other software sharing the Redis, or
 * planted) answers every `GET` and script with WRONGTYPE. That is data this library cannot read,
 * not an outage: the cookie reads no session and its next write starts a new one, instead of a
 * 503 on every request for as long as the key lives.
 */
const run = redisAvailable('keys of another Redis type') ? describe : describe.skip;

run.each(ADAPTERS)('a key of another Redis type under a session key (%s)', (adapter) => {
  let store: InspectableStore & { redis: RedisServer };
  let t: TestApp;
  beforeAll(async () => {
    store = await redisStore();
    t = await createTestApp(adapter, { store: store.cache, storeTimeout: 500 }, [
      HardeningController,
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  it.each([
    ['a hash', 'HSET', 'value x'],
    ['a list', 'RPUSH', 'x'],
    ['a set', 'SADD', 'x'],
    ['a sorted set', 'ZADD', '1 x'],
  ])('%s reads as no session, and the next write starts a new one', async (_, command, args) => {
    const sid = await startSession(t);
    const key = `sess::${storeKeyOf(sid)}`;
    await store.redis.command(`DEL ${key}`);
    expect(await store.redis.command(`${command} ${key} ${args}`)).toBe(':1\r\n');

    const read = await t
      .http()
      .get('/get')
      .query({ seg: 'Init', key: 'x' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(read.body).toEqual({ found: false, value: null });

    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    const fresh = sidOf(write)!;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(sid);
    const again = await t
      .http()
      .get('/get')
      .query({ seg: 'Init', key: 'y' })
      .set('Cookie', `sid=${fresh}`)
      .expect(200);
    expect(again.body).toEqual({ found: true, value: 2 });
  });

  it('a write to a session that turned into a hash after it was loaded ends it, without a 503', async () => {
    const sid = await startSession(t);
    const key = `sess::${storeKeyOf(sid)}`;
    const name = `wrongtype-${adapter}`;
    const pending = t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2', gate: name })
      .set('Cookie', `sid=${sid}`)
      .then((res) => res);
    await gate(name).arrived();
    await store.redis.command(`DEL ${key}`);
    await store.redis.command(`HSET ${key} value x`);
    gate(name).open();
    const write = await pending;
    expect(write.status).toBe(200);
    // The compare-and-set found no session it can read there: gone, like a destroyed one.
    expect(setCookieFor(write)).toMatch(/^sid=;/);
  });
});

run.each([
  ['with throwOnErrors', true],
  ['without throwOnErrors (failures as error events)', false],
])('a key of another Redis type through a generic Keyv store (%s)', (_, throwOnErrors) => {
  let redis: RedisServer;
  let keyv: Keyv;
  let store: KeyvSessionStore;
  beforeAll(async () => {
    redis = await startRedis();
    keyv = new Keyv({
      store: new KeyvRedis({ url: redis.url }, { throwOnErrors }),
      namespace: 'sess',
      throwOnErrors,
    });
    // Not the atomic Redis store: the generic one, as for a cache of several layers.
    store = new KeyvSessionStore(createCache({ stores: [keyv] }));
  });
  afterAll(async () => {
    await keyv?.disconnect();
    await redis?.stop();
  });

  it('reads as corrupt in a load, a compare-and-set and a move', async () => {
    expect(await redis.command('HSET sess::sess:hash value x')).toBe(':1\r\n');
    expect(await store.load('sess:hash')).toBe('corrupt');
    expect(await store.commit('sess:hash', 'a version', newRecord(Date.now()), 60_000)).toEqual({
      committed: false,
      current: 'corrupt',
    });
    expect(await store.move('sess:hash', 'a version', 60_000)).toEqual({
      moved: false,
      current: 'corrupt',
    });
  });
});
