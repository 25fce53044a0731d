import { Controller, Get } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { Segment, Session, SessionManager } from '../../src/index.js';
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

  /** A read, an explicit commit (which stores the read), then keepFlash(). */
  @Get('get-commit-keep')
  async getCommitKeep(@Session() session: SessionManager) {
    const seg = session.newSegment(FLASH);
    const value = await seg.getFlash('notice', 'none');
    await session.commit();
    await seg.keepFlash();
    return { value };
  }

  /** A read, the session's first CSRF token (which stores the session), then keepFlash(). */
  @Get('get-csrf-keep')
  async getCsrfKeep(@Session() session: SessionManager) {
    const seg = session.newSegment(FLASH);
    const value = await seg.getFlash('notice', 'none');
    const token = (await session.getCsrfToken()).getValue();
    await seg.keepFlash();
    return { value, token };
  }

  /** A read and a commit; a newer flash is set by another request; then keepFlash(). */
  @Get('get-commit-wait-keep')
  async getCommitWaitKeep(@Session() session: SessionManager) {
    const seg = session.newSegment(FLASH);
    const value = await seg.getFlash('notice', 'none');
    await session.commit();
    await new Promise<void>((resolve) => this.committed?.(resolve));
    await seg.keepFlash();
    return { value };
  }

  /** Told when `get-commit-wait-keep` has committed, with the function that lets it go on. */
  committed: ((resume: () => void) => void) | undefined;

  @Get('set-newer')
  async setNewer(@Segment(FLASH) seg: Segment) {
    await seg.setFlash('notice', 'newer');
    return { ok: true };
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

  it.each(['/keep/get-commit-keep', '/keep/get-csrf-keep'])(
    'keeps a value that a commit in the request already stored as read (%s)',
    async (path) => {
      const cookie = await withFlash();
      expect((await read(cookie, path)).body).toMatchObject({ value: 'saved' });
      expect((await read(cookie)).body).toEqual({ value: 'saved' });
      expect((await read(cookie)).body).toEqual({ value: 'none' });
    },
  );

  it('does not put back a kept value over a newer flash set after the commit', async () => {
    const cookie = await withFlash();
    const controller = t.app.get(KeepController);
    const committed = new Promise<() => void>((resolve) => (controller.committed = resolve));
    const waiting = read(cookie, '/keep/get-commit-wait-keep').then((res) => res);
    const resume = await committed;
    await read(cookie, '/keep/set-newer');
    resume();
    expect((await waiting).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'newer' });
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
