import { SessionRuntime } from '../../src/core/session-runtime.js';
import type { SessionStore } from '../../src/core/session-store.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const MINUTE = 60_000;

/** Calls reaching the app's store, split into session keys and user-index keys. */
interface Calls {
  session: number;
  index: number;
  reset(): void;
}

function countStoreCalls(store: SessionStore): Calls {
  const calls: Calls = {
    session: 0,
    index: 0,
    reset() {
      this.session = this.index = 0;
    },
  };
  for (const method of ['load', 'commit', 'move', 'delete'] as const) {
    const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
    (store as unknown as Record<string, unknown>)[method] = (key: string, ...rest: unknown[]) => {
      if (key.includes('user:')) calls.index += 1;
      else calls.session += 1;
      return original(key, ...rest);
    };
  }
  return calls;
}

describe.each(ADAPTERS)('store calls of requests that do not use the registry (%s)', (adapter) => {
  const clock = fakeClock();
  let t: TestApp;
  let calls: Calls;

  beforeEach(async () => {
    t = await createTestApp(adapter, { idleTimeout: 30 * MINUTE }, [RegistryController]);
    calls = countStoreCalls(t.app.get(SessionRuntime).store);
  });
  afterEach(() => t.close());

  async function countOf(path: string, sid?: string, query: Record<string, string> = {}) {
    calls.reset();
    const req = t.http().get(path).query(query);
    if (sid) req.set('Cookie', `sid=${sid}`);
    await req.expect(200);
    return { session: calls.session, index: calls.index };
  }

  it('are the same for a bound session as for an unbound one: untouched 0, read 1, write 2', async () => {
    const bound = sidOf(await t.http().get('/users/login').query({ user: 'alice' }))!;
    const unbound = sidOf(await t.http().get('/users/put').query({ key: 'a' }))!;
    for (const sid of [bound, unbound]) {
      expect(await countOf('/users/ping', sid)).toEqual({ session: 0, index: 0 });
      expect(await countOf('/users/read', sid)).toEqual({ session: 1, index: 0 });
      expect(await countOf('/users/put', sid, { key: 'b' })).toEqual({ session: 2, index: 0 });
      expect(await countOf('/users/whoami', sid)).toEqual({ session: 1, index: 0 });
    }
    expect(await countOf('/users/ping')).toEqual({ session: 0, index: 0 });
    expect(await countOf('/users/put', undefined, { key: 'new' })).toEqual({
      session: 1,
      index: 0,
    });
  });

  it('the registry operations cost what the user-sessions guide states', async () => {
    // A visitor's login: the index entry (load + compare-and-set), the new session (1), then
    // the index is pruned: its load and one load per listed session.
    expect(await countOf('/users/login', undefined, { user: 'alice' })).toEqual({
      session: 2,
      index: 3,
    });
    const sid = sidOf(await t.http().get('/users/login').query({ user: 'alice' }))!;
    // A list: the index, one load per listed session (2), and the request's own session (1).
    expect(await countOf('/users/list', sid)).toEqual({ session: 3, index: 1 });
    // A regenerateId() of a bound session: load, the new key written then the old one moved, and
    // the entry moved first.
    expect(await countOf('/users/regen', sid)).toEqual({ session: 3, index: 2 });
    // revokeAll: the index, a load and a tombstone per session (and a load of the old key the
    // regenerated one keeps in its entry until its next index write), then the entries removed.
    expect(await countOf('/users/revoke-all', undefined, { user: 'alice' })).toEqual({
      session: 5,
      index: 2,
    });
  });

  it("a bound session's throttled touches push its index about once per idle timeout", async () => {
    const sid = sidOf(await t.http().get('/users/login').query({ user: 'alice' }))!;
    let index = 0;
    let touches = 0;
    // Two hours of reads every four minutes: each is past touchAfter (3 min), so each touches.
    for (let i = 0; i < 30; i++) {
      clock.advance(4 * MINUTE);
      const counted = await countOf('/users/read', sid);
      index += counted.index;
      if (counted.session === 2) touches += 1;
    }
    expect(touches).toBe(30);
    // The login keeps the index for 60 minutes (twice idleTimeout); a touch pushes it when the
    // session would outlive it: at minutes 32, 64 and 96, one load and one compare-and-set each.
    expect(index).toBe(3 * 2);
    const list = await t.http().get('/users/list').set('Cookie', `sid=${sid}`).expect(200);
    expect(list.body).toHaveLength(1);
  });
});

describe('store calls through a Keyv cache (bound and unbound alike)', () => {
  it('untouched 0, read 1, write 2 (get + set)', async () => {
    const { cache, calls } = countingCache();
    const t = await createTestApp('express', { store: cache }, [RegistryController]);
    try {
      const bound = sidOf(await t.http().get('/users/login').query({ user: 'alice' }))!;
      const unbound = sidOf(await t.http().get('/users/put').query({ key: 'a' }))!;
      for (const sid of [bound, unbound]) {
        calls.reset();
        await t.http().get('/users/ping').set('Cookie', `sid=${sid}`).expect(200);
        expect(calls.total()).toBe(0);
        await t.http().get('/users/read').set('Cookie', `sid=${sid}`).expect(200);
        expect(calls.total()).toBe(1);
        calls.reset();
        await t.http().get('/users/put').query({ key: 'b' }).set('Cookie', `sid=${sid}`);
        // The Keyv store's compare-and-set reads before it writes: load, get, set.
        expect({ get: calls.get, set: calls.set }).toEqual({ get: 2, set: 1 });
      }
    } finally {
      await t.close();
    }
  });
});
