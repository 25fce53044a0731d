import { Controller, Get, Query } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { Session, SessionManager, type SessionModuleOptions } from '../../src/index.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { gate } from '../support/timing/hardening-sync.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

/**
 * The commit of `regenerateId()` writes the new key first and takes the old one last: whatever
 * happens before that last step (a 413, a store that does not answer, another request's commit
 * or destroy), the browser's cookie either gets the new id with every write carried over, or
 * keeps reading the old session.
 */

const MAX_SIZE = 4096;

@Controller()
class RegenerateController {
  /**
   * Loads the session, waits at gate `gate` if one is named, sets `S.key` to `size` characters,
   * and with `regen=1` regenerates the id. Answers the id the commit is about to store.
   */
  @Get('put')
  async put(
    @Session() session: SessionManager,
    @Query('key') key: string,
    @Query('size') size = '1',
    @Query('gate') gateName?: string,
    @Query('regen') regen?: string,
  ) {
    const segment = session.newSegment('S');
    await segment.get(key);
    if (gateName) await gate(gateName).pass();
    await segment.set(key, 'x'.repeat(Number(size)));
    if (regen) await session.regenerateId();
    return { id: session.getId() };
  }

  @Get('regenerate')
  async regenerate(@Session() session: SessionManager) {
    await session.regenerateId();
    return { id: session.getId() };
  }

  /** The keys of segment `S`, sorted; none without a session. */
  @Get('keys')
  async keys(@Session() session: SessionManager) {
    return { keys: Object.keys(await session.newSegment('S').getAll()).sort() };
  }

  @Get('destroy')
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }
}

type StoreName = 'memory' | 'keyv' | 'redis';
const hasRedis = redisAvailable('regenerateId commits on Redis');
const STORES: StoreName[] = hasRedis ? ['memory', 'keyv', 'redis'] : ['memory', 'keyv'];
const CASES = STORES.flatMap((store) => ADAPTERS.map((adapter) => ({ store, adapter })));

let gates = 0;

/** Starts an app with `RegenerateController` on `store`; `close()` stops both. */
async function appOn(
  store: StoreName,
  adapter: (typeof ADAPTERS)[number],
  options: SessionModuleOptions,
): Promise<{ t: TestApp; redis?: RedisServer; close(): Promise<void> }> {
  let cache: Cache | undefined;
  let redis: RedisServer | undefined;
  let disconnect: () => Promise<void> = async () => undefined;
  if (store === 'keyv') cache = countingCache().cache;
  if (store === 'redis') {
    redis = await startRedis();
    ({ cache, disconnect } = redisCache(redis.url));
  }
  const t = await createTestApp(adapter, { ...options, ...(cache && { store: cache }) }, [
    RegenerateController,
  ]);
  return {
    t,
    redis,
    close: async () => {
      await t.close();
      await disconnect();
      await redis?.stop();
    },
  };
}

describe.each(CASES)(
  'the commit of regenerateId() ($store store, $adapter)',
  ({ store, adapter }) => {
    let app: Awaited<ReturnType<typeof appOn>>;
    let t: TestApp;
    beforeAll(async () => {
      app = await appOn(store, adapter, { maxSize: MAX_SIZE });
      t = app.t;
    });
    afterAll(() => app?.close());

    const put = (sid: string | undefined, key: string, size = 1) => {
      const req = t.http().get('/put').query({ key, size });
      return sid === undefined ? req : req.set('Cookie', `sid=${sid}`);
    };
    const keysOf = async (sid: string) =>
      (await t.http().get('/keys').set('Cookie', `sid=${sid}`).expect(200)).body.keys as string[];

    /** Runs `work` (another request) once, just before the next move of a regenerate's commit. */
    function beforeNextMove(work: () => PromiseLike<unknown>): void {
      const runtime = t.app.get(SessionRuntime);
      const store = runtime.store;
      const move = store.move.bind(store);
      store.move = async (key, expected, ttl) => {
        store.move = move;
        await work();
        return move(key, expected, ttl);
      };
    }

    it('a 413 after another request grew the session leaves it, with that write, under the old cookie', async () => {
      const sid = sidOf(await put(undefined, 'a', 100).expect(200))!;
      // A loads the session and waits; B grows it; A then adds its own large value and regenerates.
      const name = `regen-413-${++gates}`;
      const pending = put(sid, 'big', 2000)
        .query({ gate: name, regen: '1' })
        .then((res) => res);
      await gate(name).arrived();
      await put(sid, 'b', 2000).expect(200);
      gate(name).open();
      const refused = await pending;
      expect(refused.status).toBe(413);
      expect(setCookieFor(refused)).toBeUndefined();
      // None of A's changes are stored, and nobody is signed out: B's write is still there.
      expect(await keysOf(sid)).toEqual(['a', 'b']);
      expect(await put(sid, 'c').expect(200).then(sidOf)).toBeUndefined();
      expect(await keysOf(sid)).toEqual(['a', 'b', 'c']);
    });

    it("carries another request's commit of the old id, landing between the two steps, over to the new id", async () => {
      const sid = sidOf(await put(undefined, 'a').expect(200))!;
      beforeNextMove(() => put(sid, 'b').expect(200));
      const regenerated = await put(sid, 'c').query({ regen: '1' }).expect(200);
      const newSid = sidOf(regenerated)!;
      expect(newSid).toBe(regenerated.body.id);
      expect(newSid).not.toBe(sid);
      expect(await keysOf(newSid)).toEqual(['a', 'b', 'c']);
      expect(await keysOf(sid)).toEqual([]);
    });

    it('a destroy racing the regenerate never brings the session back under either id', async () => {
      const sid = sidOf(await put(undefined, 'a').expect(200))!;
      beforeNextMove(() => t.http().get('/destroy').set('Cookie', `sid=${sid}`).expect(200));
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`);
      expect(regenerated.status).toBeLessThan(500);
      const newSid = regenerated.body.id as string;
      expect(newSid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The session is gone: the browser's cookie is expired, not replaced with the new id.
      expect(setCookieFor(regenerated)).toMatch(/^sid=;/);
      expect(await keysOf(sid)).toEqual([]);
      expect(await keysOf(newSid)).toEqual([]);
    });
  },
);

const onRedis = hasRedis ? describe : describe.skip;

onRedis.each(ADAPTERS)('a regenerateId() while Redis refuses writes (%s)', (adapter) => {
  let app: Awaited<ReturnType<typeof appOn>>;
  let t: TestApp;
  let redis: RedisServer;
  beforeAll(async () => {
    app = await appOn('redis', adapter, { storeTimeout: 500 });
    t = app.t;
    redis = app.redis!;
  });
  afterAll(() => app?.close());

  it('answers 503 and signs nobody out: the old cookie reads the session once Redis is back', async () => {
    const sid = sidOf(await t.http().get('/put').query({ key: 'a' }).expect(200))!;
    // Reads go on, every write (every script) waits: the regenerate's commit cannot land.
    expect(await redis.command('CLIENT PAUSE 30000 WRITE')).toMatch(/^\+OK/);
    try {
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`);
      expect(regenerated.status).toBe(503);
      expect(setCookieFor(regenerated)).toBeUndefined();
    } finally {
      expect(await redis.command('CLIENT UNPAUSE')).toMatch(/^\+OK/);
    }
    // The store calls the request gave up on run now, before this request's own (one client
    // connection, in order): whatever they do must not take the session from the old cookie.
    const after = await t.http().get('/keys').set('Cookie', `sid=${sid}`).expect(200);
    expect(after.body.keys).toEqual(['a']);
    expect(setCookieFor(after)).toBeUndefined();
  });
  it('undoes a move that timed out and ran once Redis was back: the old cookie reads the session again', async () => {
    const sid = sidOf(await t.http().get('/put').query({ key: 'a' }).expect(200))!;
    // The new key is written; then every write waits, the move among them, past storeTimeout.
    const runtime = t.app.get(SessionRuntime);
    const store = runtime.store;
    const move = store.move.bind(store);
    store.move = async (key, expected, ttl) => {
      store.move = move;
      expect(await redis.command('CLIENT PAUSE 30000 WRITE')).toMatch(/^\+OK/);
      return move(key, expected, ttl);
    };
    const sessionKeys = async () =>
      (await redis.command('KEYS *')).split('\n').filter((k) => k.includes('sess')).length;
    const before = await sessionKeys();
    let during: number;
    try {
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`);
      expect(regenerated.status).toBe(503);
      expect(setCookieFor(regenerated)).toBeUndefined();
      during = await sessionKeys();
    } finally {
      expect(await redis.command('CLIENT UNPAUSE')).toMatch(/^\+OK/);
    }
    // While the move waits, the new key (no browser holds its id) is there beside the old one.
    expect(during).toBe(before + 1);
    // The move runs now, and its undo right after it.
    let keys: string[] = [];
    for (let i = 0; i < 50 && keys.length === 0; i++) {
      const read = await t.http().get('/keys').set('Cookie', `sid=${sid}`).expect(200);
      expect(setCookieFor(read)).toBeUndefined();
      keys = read.body.keys as string[];
      if (keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(keys).toEqual(['a']);
    expect(await sessionKeys()).toBe(before);
  });
});

onRedis.each(ADAPTERS)('shutting down while a late regenerateId() move waits (%s)', (adapter) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('app.close() waits for the move and its undo: the old cookie keeps its session', async () => {
    const first = redisCache(redis.url);
    // The shutdown waits up to storeTimeout: room for the move and its undo on a busy machine.
    const t = await createTestApp(adapter, { store: first.cache, storeTimeout: 2000 }, [
      RegenerateController,
    ]);
    let closing: Promise<void> | undefined;
    let paused = false;
    try {
      const sid = sidOf(await t.http().get('/put').query({ key: 'a' }).expect(200))!;
      const runtime = t.app.get(SessionRuntime);
      const warnings: string[] = [];
      runtime.logger.warn = (message: string) => void warnings.push(message);
      const store = runtime.store;
      const move = store.move.bind(store);
      store.move = async (key, expected, ttl) => {
        store.move = move;
        expect(await redis.command('CLIENT PAUSE 30000 WRITE')).toMatch(/^\+OK/);
        paused = true;
        return move(key, expected, ttl);
      };
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`);
      expect(regenerated.status).toBe(503);

      let closed = false;
      closing = t.close().then(() => {
        closed = true;
      });
      const waiting = () => warnings.some((w) => w.startsWith('Shutting down: waiting'));
      for (let i = 0; i < 200 && !closed && !waiting(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // The shutdown waits for the move Redis has not run yet.
      expect(closed).toBe(false);
      expect(waiting()).toBe(true);
      expect(await redis.command('CLIENT UNPAUSE')).toMatch(/^\+OK/);
      paused = false;
      await closing;
      expect(warnings).toContainEqual(expect.stringContaining('was undone'));
      // The client goes with the app, as it does when the process exits.
      await first.disconnect();

      const second = redisCache(redis.url);
      const t2 = await createTestApp(adapter, { store: second.cache }, [RegenerateController]);
      try {
        const read = await t2.http().get('/keys').set('Cookie', `sid=${sid}`).expect(200);
        expect(read.body.keys).toEqual(['a']);
        expect(setCookieFor(read)).toBeUndefined();
      } finally {
        await t2.close();
        await second.disconnect();
      }
    } finally {
      if (paused) await redis.command('CLIENT UNPAUSE');
      await (closing ?? t.close());
      await first.disconnect();
    }
  });
});
