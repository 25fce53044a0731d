import { setTimeout as sleep } from 'node:timers/promises';
import { storeKeyOf } from '../support/core-store.js';
import { countingCache } from '../support/counting-cache.js';
import { storageApps, valueFor } from '../support/storage-apps.js';
import { ADAPTERS, sidOf } from '../support/test-app.js';

describe.each(ADAPTERS)('session timeouts (%s)', (adapter) => {
  const start = storageApps(adapter);

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
    await sleep(400);
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
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await sleep(100);
      expect(await valueFor(t, sid)).toBe('alive');
    }
    expect(calls.set).toBeGreaterThan(0);
  });

  it('ends a session at absoluteTimeout however active it is', async () => {
    const t = await start({ idleTimeout: 10_000, touchAfter: 50, absoluteTimeout: 800 });
    const sid = sidOf(await t.http().get('/put/busy').expect(200))!;
    const created = Date.now();
    const seen: { at: number; value: unknown }[] = [];
    while (Date.now() - created < 1300) {
      const at = Date.now() - created;
      seen.push({ at, value: await valueFor(t, sid) });
      await sleep(100);
    }
    const early = seen.filter((s) => s.at < 500);
    const late = seen.filter((s) => s.at >= 900);
    expect(early.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(0);
    expect(early.every((s) => s.value === 'busy')).toBe(true);
    expect(late.every((s) => s.value === null)).toBe(true);
  });

  it('counts absoluteTimeout from the first creation, across regenerateId', async () => {
    const t = await start({ idleTimeout: 10_000, absoluteTimeout: 800 });
    const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
    const created = Date.now();
    await sleep(400);
    const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
    const newSid = sidOf(regenerated)!;
    expect(newSid).not.toBe(sid);
    expect(await valueFor(t, newSid)).toBe('kept');
    await sleep(Math.max(0, created + 900 - Date.now()));
    expect(await valueFor(t, newSid)).toBeNull();
  });

  it('writes nothing for reads within touchAfter, and one touch for a read after it', async () => {
    const { cache, calls } = countingCache();
    const t = await start({ store: cache, idleTimeout: 10_000, touchAfter: 1000 });
    const sid = sidOf(await t.http().get('/put/quiet').expect(200))!;
    calls.reset();
    for (let i = 0; i < 5; i++) expect(await valueFor(t, sid)).toBe('quiet');
    expect(calls.set).toBe(0);
    expect(calls.get).toBeGreaterThanOrEqual(5);

    await sleep(1100);
    calls.reset();
    expect(await valueFor(t, sid)).toBe('quiet');
    expect(calls.set).toBe(1);
    expect(await valueFor(t, sid)).toBe('quiet');
    expect(calls.set).toBe(1);
  });
});
