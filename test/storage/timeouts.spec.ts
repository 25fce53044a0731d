import { Controller, Get } from '@nestjs/common';
import { Session, SessionManager } from '../../src/index.js';
import { STORAGE_SEGMENT, StorageController } from '../support/controllers/storage-controller.js';
import { commitTimingStores } from '../support/stores/commit-timing-stores.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { storageApps, valueFor } from '../support/apps/storage-apps.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

describe.each(ADAPTERS)('session timeouts (%s)', (adapter) => {
  const start = storageApps(adapter);
  const clock = fakeClock();

  it('forgets a session idle for idleTimeout, though the cookie and the stored record remain', async () => {
    const { cache, keyv } = countingCache();
    const t = await start({ store: cache, idleTimeout: 300, touchAfter: 100 });
    const sid = sidOf(await t.http().get('/put/stale').expect(200))!;
    expect(await valueFor(t, sid)).toBe('stale');

    // Outlive the store's own expiry: only the server-side idle check can end it now.
    const key = storeKeyOf(sid);
    const stored = await keyv.get(key);
    expect(typeof stored).toBe('string');
    await keyv.set(key, stored, 60_000);
    clock.advance(400);
    expect(await keyv.get(key)).toBe(stored);

    expect(await valueFor(t, sid)).toBeNull();
    const rewritten = await t.http().get('/put/fresh').set('Cookie', `sid=${sid}`).expect(200);
    const newSid = sidOf(rewritten);
    expect(newSid).toHaveLength(43);
    expect(newSid).not.toBe(sid);
  });

  it('keeps a session alive for as long as it is read, well past idleTimeout', async () => {
    const { cache, calls } = countingCache();
    const t = await start({ store: cache, idleTimeout: 500, touchAfter: 50 });
    const sid = sidOf(await t.http().get('/put/alive').expect(200))!;
    calls.reset();
    for (let elapsed = 0; elapsed < 1500; elapsed += 100) {
      clock.advance(100);
      expect(await valueFor(t, sid)).toBe('alive');
    }
    expect(calls.set).toBeGreaterThan(0);
  });

  it('ends a session at absoluteTimeout however active it is', async () => {
    const t = await start({ idleTimeout: 10_000, touchAfter: 50, absoluteTimeout: 800 });
    const sid = sidOf(await t.http().get('/put/busy').expect(200))!;
    let elapsed = 0;
    /** What reads at each of `at` (ms after the write) found. */
    const read = async (at: number[]) => {
      const values: unknown[] = [];
      for (const next of at) {
        clock.advance(next - elapsed);
        elapsed = next;
        values.push(await valueFor(t, sid));
      }
      return values;
    };
    const early = await read([0, 100, 200, 300, 400, 500, 600, 700, 799]);
    const late = await read([800, 900, 1000, 1300]);
    expect(early.every((value) => value === 'busy')).toBe(true);
    expect(late.every((value) => value === null)).toBe(true);
  });

  it('counts absoluteTimeout from the first creation, across regenerateId', async () => {
    const t = await start({ idleTimeout: 10_000, absoluteTimeout: 800 });
    const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
    clock.advance(400);
    const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
    const newSid = sidOf(regenerated)!;
    expect(newSid).not.toBe(sid);
    expect(await valueFor(t, newSid)).toBe('kept');
    clock.advance(399);
    expect(await valueFor(t, newSid)).toBe('kept');
    clock.advance(1);
    expect(await valueFor(t, newSid)).toBeNull();
  });

  it('writes nothing for reads within touchAfter, and one touch for a read after it', async () => {
    const { cache, calls } = countingCache();
    const t = await start({ store: cache, idleTimeout: 10_000, touchAfter: 1000 });
    const sid = sidOf(await t.http().get('/put/quiet').expect(200))!;
    calls.reset();
    for (let i = 0; i < 5; i++) {
      expect(await valueFor(t, sid)).toBe('quiet');
      clock.advance(199);
    }
    expect(calls.set).toBe(0);
    expect(calls.get).toBeGreaterThanOrEqual(5);

    clock.advance(5);
    calls.reset();
    expect(await valueFor(t, sid)).toBe('quiet');
    expect(calls.set).toBe(1);
    expect(await valueFor(t, sid)).toBe('quiet');
    expect(calls.set).toBe(1);
  });
});

/** Runs between the read and the write of `/read-then-write`: the tests move the clock there. */
let midRequest: () => void = () => undefined;

@Controller()
class ReadThenWriteController {
  @Get('read-then-write')
  async readThenWrite(@Session() session: SessionManager) {
    const segment = session.newSegment<{ value: string }>(STORAGE_SEGMENT);
    const before = (await segment.get('value')) ?? null;
    midRequest();
    await segment.set('value', 'late');
    await session.commit();
    return { before, started: session.isStarted() };
  }
}

// Redis keeps the key by its own clock, which the test does not move: only the session's own
// timeout check can tell that it ended during the request.
const STORES = commitTimingStores('session timeouts on Redis');

describe.each(ADAPTERS)('a session that times out during a request (%s)', (adapter) => {
  describe.each(STORES)('$name', ({ options }) => {
    const clock = fakeClock();
    let t: TestApp | undefined;
    afterEach(async () => {
      midRequest = () => undefined;
      await t?.close();
    });

    it('stores nothing, expires the cookie, and is gone for the next request', async () => {
      t = await createTestApp(adapter, { ...options(), idleTimeout: 1000, touchAfter: 100 }, [
        StorageController,
        ReadThenWriteController,
      ]);
      const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
      midRequest = () => clock.advance(1000);
      const res = await t.http().get('/read-then-write').set('Cookie', `sid=${sid}`).expect(200);
      expect(res.body).toEqual({ before: 'kept', started: false });
      expect(setCookieFor(res)).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
      expect(await valueFor(t, sid)).toBeNull();
    });
  });
});
