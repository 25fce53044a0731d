import { HardeningController } from '../support/controllers/hardening-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import {
  memoryStore,
  redisStore,
  type InspectableStore,
} from '../support/stores/hardening-stores.js';
import { redisAvailable, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';

type Store = InspectableStore & { redis?: RedisServer };

const stores: Array<[string, () => Promise<Store>]> = [['memory', async () => memoryStore()]];
const withRedis = redisAvailable('corrupt session data on Redis');
if (withRedis) stores.push(['redis', redisStore]);

// Live timestamps: what makes these records unreadable is their data, not their age.
const NOW = Date.now();

const junk: Array<[string, unknown]> = [
  ['text that is not JSON', 'this is {not json'],
  ['a JSON string', '"a string"'],
  ['JSON null', 'null'],
  ['a JSON array', '[1,2,3]'],
  ['a record of an unknown version', '{"v":2,"createdAt":1,"lastSeen":1,"segments":{}}'],
  ['a record without timestamps', '{"v":1,"segments":{}}'],
  ['a record whose segments are an array', '{"v":1,"createdAt":1,"lastSeen":1,"segments":[]}'],
  [
    'a record with a malformed segment',
    '{"v":1,"createdAt":1,"lastSeen":1,"segments":{"Init":{"values":3}}}',
  ],
  [
    'a live record with a value nested deeper than any value this library stores',
    `{"v":1,"createdAt":${NOW},"lastSeen":${NOW},"segments":{"Init":{"values":{"x":${'['.repeat(5000)}${']'.repeat(5000)}},"flash":{}}}}`,
  ],
  [
    'a live record bound to an empty user id',
    `{"v":1,"createdAt":${NOW},"lastSeen":${NOW},"user":{"id":"","handle":"h","indexUntil":0},"segments":{}}`,
  ],
  ['a number instead of text', 42],
  ['an object instead of text', { v: 1 }],
];

describe.each(ADAPTERS)('corrupt stored session data (%s)', (adapter) => {
  describe.each(stores)('%s store', (name, openStore) => {
    let store: Store;
    let t: TestApp;
    const warnings: string[] = [];
    beforeAll(async () => {
      store = await openStore();
      t = await createTestApp(adapter, { store: store.cache }, [HardeningController]);
      t.app.get(SessionRuntime).logger.warn = (message: string) => void warnings.push(message);
    });
    afterAll(async () => {
      await t?.close();
      await store?.close();
    });

    async function expectTreatedAsNoSession(sid: string) {
      warnings.length = 0;
      const read = await t
        .http()
        .get('/get')
        .query({ seg: 'Init', key: 'x' })
        .set('Cookie', `sid=${sid}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ found: false, value: null });
      expect(read.headers['set-cookie']).toBeUndefined();
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      for (const warning of warnings) expect(warning).not.toContain(sid);

      const write = await t
        .http()
        .get('/put')
        .query({ seg: 'Init', key: 'y', value: '2' })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      const fresh = sidOf(write);
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(fresh).not.toBe(sid);
      const after = await t
        .http()
        .get('/all')
        .query({ segs: 'Init' })
        .set('Cookie', `sid=${fresh}`);
      expect(after.body.pairs).toEqual([['Init', { y: 2 }]]);
    }

    it.each(junk)('%s under the store key is no session, logged', async (_what, value) => {
      const sid = await startSession(t);
      await store.writeRaw(storeKeyOf(sid), value);
      await expectTreatedAsNoSession(sid);
    });

    if (name === 'redis') {
      it('bytes the Keyv layer cannot decode under the Redis key are no session', async () => {
        const sid = await startSession(t);
        const [key] = (await store.keys()).filter((k) => k.endsWith(storeKeyOf(sid)));
        expect(await store.redis!.command(`SET ${key} garbage{{`)).toMatch(/^\+OK/);
        await expectTreatedAsNoSession(sid);
      });

      it('is logged under the key Redis has it by, Keyv namespace included', async () => {
        const sid = await startSession(t);
        const [key] = (await store.keys()).filter((k) => k.endsWith(storeKeyOf(sid)));
        expect(key).not.toBe(storeKeyOf(sid));
        await store.redis!.command(`SET ${key} garbage{{`);
        await expectTreatedAsNoSession(sid);
        expect(warnings).toContain(
          `Corrupt session data under Redis key ${key}: treated as no session`,
        );
      });
    }
  });
});
