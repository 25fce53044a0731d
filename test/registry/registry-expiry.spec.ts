import { SessionRuntime } from '../../src/core/session-runtime.js';
import { SessionRegistry } from '../../src/index.js';
import { indexKeyFor } from '../../src/core/user-index.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
import { createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const MINUTE = 60_000;
const hasRedis = redisAvailable('user sessions expiry on Redis');
const STORES = hasRedis ? (['memory', 'redis'] as const) : (['memory'] as const);

describe.each(STORES)('expired sessions leave the list (%s store)', (storeName) => {
  const clock = fakeClock();
  let redis: RedisServer | undefined;
  let t: TestApp;
  let disconnect: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (storeName === 'redis') redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  beforeEach(async () => {
    const options = { idleTimeout: 10 * MINUTE, touchAfter: MINUTE };
    if (redis) {
      const { cache, disconnect: close } = redisCache(redis.url);
      disconnect = close;
      t = await createTestApp('express', { ...options, store: cache }, [RegistryController]);
    } else {
      t = await createTestApp('express', options, [RegistryController]);
    }
  });
  afterEach(async () => {
    await t.close();
    await disconnect?.();
  });

  const login = async (agent: string) =>
    sidOf(await t.http().get('/users/login').query({ user: 'alice' }).set('User-Agent', agent))!;

  async function listed(sid: string): Promise<string[]> {
    const res = await t.http().get('/users/list').set('Cookie', `sid=${sid}`).expect(200);
    return (res.body as Array<{ userAgent: string }>).map((s) => s.userAgent);
  }

  /** The handles the stored index of alice holds, read from the store itself. */
  async function indexed(): Promise<number | undefined> {
    const { store, config } = t.app.get(SessionRuntime);
    const found = await store.load(indexKeyFor(config.keyPrefix, 'alice'));
    return typeof found === 'object'
      ? found.record.segments.get('sessions')?.values.size
      : undefined;
  }

  it('an idle session drops out of the list and the index; the index expires with its sessions', async () => {
    const idle = await login('Idle');
    const active = await login('Active');
    expect((await listed(active)).sort()).toEqual(['Active', 'Idle']);
    clock.advance(6 * MINUTE);
    await t.http().get('/users/read').set('Cookie', `sid=${active}`).expect(200);
    clock.advance(6 * MINUTE);

    expect(await listed(active)).toEqual(['Active']);
    expect(await indexed()).toBe(1);
    const res = await t.http().get('/users/read').set('Cookie', `sid=${idle}`).expect(200);
    expect(res.body).toEqual({ session: null });

    // Nobody comes back: once its last session is past its time, the index is gone too.
    clock.advance(21 * MINUTE);
    expect(await indexed()).toBeUndefined();
    const registry = t.app.get(SessionRegistry);
    expect(await registry.list('alice')).toEqual([]);
  });
});
