import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Segment } from '../../src/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionHealthIndicator } from '../../src/index.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { pollUntil, timed } from '../support/timing/storage-polling.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const STORE_TIMEOUT = 500;
/** Not a speed bound: only proves the probe ends instead of hanging on the store. */
const NO_HANG = STORE_TIMEOUT + 3000;

/** A readiness route the way an app without @nestjs/terminus would write one. */
@Controller()
class ReadinessController {
  constructor(private readonly sessions: SessionHealthIndicator) {}

  @Get('ready')
  async ready() {
    const health = await this.sessions.check();
    if (health.status === 'down') throw new ServiceUnavailableException(health);
    return health;
  }
}

const run = redisAvailable('storage: session store health') ? describe : describe.skip;

run.each(ADAPTERS)('session store health on Redis (%s)', (adapter) => {
  let redis: RedisServer;
  let client: ReturnType<typeof redisCache>;
  let t: TestApp;
  let indicator: SessionHealthIndicator;

  beforeAll(async () => {
    redis = await startRedis();
    client = redisCache(redis.url);
    t = await createTestApp(adapter, { store: client.cache, storeTimeout: STORE_TIMEOUT }, [
      ReadinessController,
    ]);
    indicator = t.app.get(SessionHealthIndicator);
  });
  afterAll(async () => {
    await sleep(STORE_TIMEOUT * 2);
    await t?.close();
    await client?.disconnect();
    await redis?.stop();
  });

  async function expectDown(): Promise<void> {
    const { result, ms } = await timed(() => indicator.check());
    expect(result.status).toBe('down');
    expect(result.message).toMatch(/unavailable/i);
    expect(ms).toBeLessThan(NO_HANG);
    const res = await t.http().get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('down');
  }

  async function expectUpAgain(): Promise<void> {
    const health = await pollUntil('the health check reports up again', async () => {
      const result = await indicator.check();
      return result.status === 'up' ? result : undefined;
    });
    expect(health.message).toBeUndefined();
    await t.http().get('/ready').expect(200);
  }

  it('reports up while Redis answers, and leaves no probe key behind', async () => {
    const health = await indicator.check();
    expect(health.status).toBe('up');
    expect(typeof health.responseTime).toBe('number');
    const res = await t.http().get('/ready').expect(200);
    expect(res.body.status).toBe('up');
    expect(await redis.command('DBSIZE')).toMatch(/^:0\r\n/);
  });

  it('reports down with a message while Redis is paused, and up after', async () => {
    redis.freeze();
    try {
      await expectDown();
    } finally {
      redis.thaw();
    }
    await expectUpAgain();
  });

  it('reports down with a message while Redis is stopped, and up once it is back', async () => {
    await redis.stop();
    await expectDown();
    await redis.restart();
    await expectUpAgain();
  });
});

@Controller('counter')
class CounterController {
  @Get()
  async bump(@Segment('Health\\Counter') counter: Segment<{ n: number }>) {
    const n = ((await counter.get('n')) ?? 0) + 1;
    await counter.set('n', n);
    return { n };
  }
}

describe.each(ADAPTERS)('session store health on the built-in memory store (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { memoryStoreMaxSessions: 3 }, [CounterController]);
  });
  afterAll(() => t.close());

  it("reports up, and takes no user session's place in a full store", async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push(sidOf(await t.http().get('/counter').expect(200))!);
    for (let i = 0; i < 3; i++) {
      expect(await t.app.get(SessionHealthIndicator).check()).toMatchObject({ status: 'up' });
    }
    for (const sid of sids) {
      const res = await t.http().get('/counter').set('Cookie', `sid=${sid}`).expect(200);
      expect(res.body).toEqual({ n: 2 });
    }
  });
});
