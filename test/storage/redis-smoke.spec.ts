import { Controller, Get } from '@nestjs/common';
import { Segment } from '../../src/index.js';
import { redisCache } from '../support/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { createTestApp, sidOf, type TestApp } from '../support/test-app.js';

@Controller()
class C {
  @Get('w')
  async w(@Segment('S') s: Segment<{ n: number }>) {
    await s.set('n', 1);
    return { ok: 1 };
  }
  @Get('r')
  async r(@Segment('S') s: Segment<{ n: number }>) {
    return { n: await s.get('n') };
  }
}

const run = redisAvailable('redis smoke') ? describe : describe.skip;
run('redis smoke', () => {
  let redis: RedisServer;
  let t: TestApp;
  let c: ReturnType<typeof redisCache>;
  beforeAll(async () => {
    redis = await startRedis();
    c = redisCache(redis.url);
    t = await createTestApp('express', { store: c.cache }, [C]);
  });
  afterAll(async () => {
    await t?.close();
    await c?.disconnect();
    await redis?.stop();
  });
  it('writes and reads', async () => {
    const sid = sidOf(await t.http().get('/w').expect(200));
    const r = await t.http().get('/r').set('Cookie', `sid=${sid}`).expect(200);
    expect(r.body).toEqual({ n: 1 });
    expect(await redis.command('DBSIZE')).toMatch(/^:1/);
  });
});
