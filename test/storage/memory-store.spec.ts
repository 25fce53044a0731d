import { SessionRuntime } from '../../src/core/session-runtime.js';
import { fakeClock } from '../support/fake-clock.js';
import { storageApps, valueFor } from '../support/storage-apps.js';
import { memoryStoreSize } from '../support/storage-memory-size.js';
import { ADAPTERS, sidOf, type TestApp } from '../support/test-app.js';

const CAP = 300;
const VISITORS = 1200;
/** Visitors arrive this many at a time, so their order is only known batch by batch. */
const BATCH = 10;

/** Writes one session per visitor, none sending a cookie; returns their ids in order. */
async function manyVisitors(t: TestApp, count: number): Promise<string[]> {
  const sids: string[] = [];
  for (let first = 0; first < count; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - first) }, (_, i) =>
      t
        .http()
        .get(`/put/v${first + i}`)
        .expect(200),
    );
    for (const res of await Promise.all(batch)) sids.push(sidOf(res)!);
  }
  return sids;
}

describe.each(ADAPTERS)('default memory store (%s)', (adapter) => {
  const start = storageApps(adapter);

  it('with no store option, forgets the least recently used sessions past memoryStoreMaxSessions', async () => {
    const t = await start({ memoryStoreMaxSessions: CAP });
    const sids = await manyVisitors(t, VISITORS);
    const lastForgotten = VISITORS - CAP - BATCH;
    const firstKept = VISITORS - CAP + BATCH;
    expect(await valueFor(t, sids[0]!)).toBeNull();
    expect(await valueFor(t, sids[lastForgotten]!)).toBeNull();
    expect(await valueFor(t, sids[firstKept]!)).toBe(`v${firstKept}`);
    expect(await valueFor(t, sids[VISITORS - 1]!)).toBe(`v${VISITORS - 1}`);
  });

  it('holds at most memoryStoreMaxSessions sessions however many visitors come', async () => {
    const t = await start({ memoryStoreMaxSessions: CAP });
    await manyVisitors(t, VISITORS);
    expect(memoryStoreSize(t.app.get(SessionRuntime).cache)).toBe(CAP);
  });

  describe('with the clock moved by hand', () => {
    const clock = fakeClock({ intervals: true });

    it('sweeps expired sessions out of memory without any request touching them', async () => {
      // The sweep period the module picks for idleTimeout 300: max(1 s, idleTimeout / 4).
      const t = await start({ memoryStoreMaxSessions: CAP, idleTimeout: 300 });
      const store = t.app.get(SessionRuntime).cache;
      await manyVisitors(t, 100);
      expect(memoryStoreSize(store)).toBeGreaterThan(50);
      clock.advance(2200);
      expect(memoryStoreSize(store)).toBe(0);
    });
  });
});
