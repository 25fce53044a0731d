import { Controller, Get } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { Segment } from '../../src/index.js';
import { countingCache, type StoreCalls } from '../support/stores/counting-cache.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

/**
 * `keepFlash()` keeps the flash values read in this request for one more read, wherever in the
 * handler it is called and whether the session is loaded or starts in this request.
 */

const FLASH = 'App\\Flash';

@Controller('keep')
class KeepController {
  @Get('set')
  async set(@Segment(FLASH) seg: Segment) {
    await seg.setFlash('notice', 'saved');
    return { ok: true };
  }

  @Get('get')
  async get(@Segment(FLASH) seg: Segment) {
    return { value: await seg.getFlash('notice', 'none') };
  }

  /** keepFlash() before the session is loaded, then a read. */
  @Get('keep-then-get')
  async keepThenGet(@Segment(FLASH) seg: Segment) {
    await seg.keepFlash();
    return { value: await seg.getFlash('notice', 'none') };
  }

  /** keepFlash() and nothing else: the session is never read. */
  @Get('keep-only')
  async keepOnly(@Segment(FLASH) seg: Segment) {
    await seg.keepFlash();
    return { ok: true };
  }

  /** A flash set and read in the request that starts the session, then kept. */
  @Get('set-get-keep')
  async setGetKeep(@Segment(FLASH) seg: Segment) {
    await seg.setFlash('notice', 'new session');
    const value = await seg.getFlash('notice', 'none');
    await seg.keepFlash();
    return { value };
  }
}

type StoreName = 'memory' | 'keyv' | 'redis';
const STORES: StoreName[] = redisAvailable('keepFlash on Redis')
  ? ['memory', 'keyv', 'redis']
  : ['memory', 'keyv'];
const CASES = STORES.flatMap((store) => ADAPTERS.map((adapter) => ({ store, adapter })));

describe.each(CASES)('keepFlash ($store store, $adapter)', ({ store, adapter }) => {
  let t: TestApp;
  let redis: RedisServer | undefined;
  let disconnect: () => Promise<void> = async () => undefined;
  let calls: StoreCalls | undefined;

  beforeAll(async () => {
    let cache: Cache | undefined;
    if (store === 'keyv') ({ cache, calls } = countingCache());
    if (store === 'redis') {
      redis = await startRedis();
      ({ cache, disconnect } = redisCache(redis.url));
    }
    t = await createTestApp(adapter, cache ? { store: cache } : {}, [KeepController]);
  });
  afterAll(async () => {
    await t?.close();
    await disconnect();
    await redis?.stop();
  });

  function read(cookie: string, path = '/keep/get') {
    return t.http().get(path).set('Cookie', cookie).expect(200);
  }

  /** A new session holding flash `notice` = `saved`; returns its Cookie header. */
  async function withFlash(): Promise<string> {
    return `sid=${sidOf(await t.http().get('/keep/set').expect(200))!}`;
  }

  it('keeps a value read after keepFlash() for one more read', async () => {
    const cookie = await withFlash();
    expect((await read(cookie, '/keep/keep-then-get')).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('keeps a flash set and read in the request that starts the session', async () => {
    const res = await t.http().get('/keep/set-get-keep').expect(200);
    expect(res.body).toEqual({ value: 'new session' });
    const cookie = `sid=${sidOf(res)!}`;
    expect((await read(cookie)).body).toEqual({ value: 'new session' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('costs no store call when the session is never read', async () => {
    const cookie = await withFlash();
    calls?.reset();
    const res = await read(cookie, '/keep/keep-only');
    expect(res.headers['set-cookie']).toBeUndefined();
    if (calls) expect(calls.total()).toBe(0);
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
  });
});
