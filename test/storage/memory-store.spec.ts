import { SessionRuntime } from '../../src/core/session-runtime.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { storageApps, valueFor } from '../support/apps/storage-apps.js';
import { ADAPTERS, sidOf, type TestApp } from '../support/apps/test-app.js';

const CAP = 300;
const VISITORS = 1200;
/** Visitors arrive this many at a time, so their order is only known batch by batch. */
const BATCH = 10;

/** Writes one session per visitor, none sending a cookie; returns their ids in order. */
async function manyVisitors(t: TestApp, count: number, prefix = 'v'): Promise<string[]> {
  const sids: string[] = [];
  for (let first = 0; first < count; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - first) }, (_, i) =>
      t
        .http()
        .get(`/put/${prefix}${first + i}`)
        .expect(200),
    );
    for (const res of await Promise.all(batch)) sids.push(sidOf(res)!);
  }
  return sids;
}

function memoryStoreOf(t: TestApp): MemorySessionStore {
  const store = t.app.get(SessionRuntime).store;
  if (!(store instanceof MemorySessionStore)) throw new Error('not the default memory store');
  return store;
}

describe.each(ADAPTERS)('default memory store (%s)', (adapter) => {
  const start = storageApps(adapter);

  const clock = fakeClock();

  it('with no store option, forgets the least recently used one-request sessions past memoryStoreMaxSessions', async () => {
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
    expect(memoryStoreOf(t).size).toBe(CAP);
  });

  it('a flood of one-request sessions cannot evict a session used in two requests', async () => {
    const t = await start({ memoryStoreMaxSessions: CAP });
    const signedIn = await manyVisitors(t, 20, 'user');
    // A second request makes each of them a session in use (a signed-in user coming back).
    for (const [i, sid] of signedIn.entries()) expect(await valueFor(t, sid)).toBe(`user${i}`);
    await manyVisitors(t, VISITORS, 'anon');
    for (const [i, sid] of signedIn.entries()) expect(await valueFor(t, sid)).toBe(`user${i}`);
    expect(memoryStoreOf(t).size).toBe(CAP);
  });

  it('is bounded in bytes too: memoryStoreMaxBytes caps what the sessions hold', async () => {
    const maxBytes = 64 * 1024;
    const t = await start({ memoryStoreMaxBytes: maxBytes, maxSize: 4096 });
    await manyVisitors(t, 1000);
    const store = memoryStoreOf(t);
    expect(store.bytes).toBeLessThanOrEqual(maxBytes);
    expect(store.size).toBeLessThan(1000);
  });

  it('drops expired sessions from memory as new sessions come in, with no request reading them', async () => {
    const t = await start({ memoryStoreMaxSessions: CAP, idleTimeout: 60_000 });
    const store = memoryStoreOf(t);
    await manyVisitors(t, 100, 'old');
    expect(store.size).toBe(100);
    clock.advance(61_000);
    await manyVisitors(t, 100, 'new');
    expect(store.size).toBe(100);
  });
});
