import fc from 'fast-check';
import { newRecord, segmentOf, type SessionRecord } from '../../src/core/session-record.js';
import type { StoredSession } from '../../src/core/session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';

const START = 1_750_000_000_000;
const TTL = 30 * 60 * 1000;
const MiB = 1024 * 1024;

/** A store on a clock that moves only when the test says so. */
function storeOn(options: { maxSessions?: number; maxBytes?: number } = {}) {
  let time = START;
  const store = new MemorySessionStore({ ...options, now: () => time });
  return {
    store,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** A record holding `value` under `key` of segment `app`. */
function recordOf(value: unknown, key = 'v'): SessionRecord {
  const record = newRecord(START);
  segmentOf(record, 'app').values.set(key, value);
  return record;
}

/** Commits a brand-new session under `key`, failing the test if it is refused. */
function create(store: MemorySessionStore, key: string, size = 100, ttl = TTL): StoredSession {
  const record = recordOf(key);
  const outcome = store.commit(key, undefined, record, ttl, size);
  if (!outcome.committed) throw new Error(`creating ${key} was refused`);
  return { record, version: outcome.version, size };
}

/** Whether a live session is stored under `key` (a load, so it counts as a use). */
function has(store: MemorySessionStore, key: string): boolean {
  return typeof store.load(key) === 'object';
}

describe('MemorySessionStore compare-and-set', () => {
  it('creates a session only where nothing is stored, and answers without a promise', () => {
    const { store } = storeOn();
    const record = recordOf('a');
    const outcome = store.commit('k', undefined, record, TTL, 10);
    expect(outcome).toEqual({ committed: true, version: expect.anything() });
    expect(outcome).not.toBeInstanceOf(Promise);
    const loaded = store.load('k');
    expect(loaded).toEqual({
      record,
      version: outcome.committed && outcome.version,
      size: 10,
    });
    expect((loaded as StoredSession).record).toBe(record);

    const again = store.commit('k', undefined, recordOf('b'), TTL, 10);
    expect(again).toEqual({ committed: false, current: loaded });
    expect(store.load('k')).toBe(loaded);
  });

  it('replaces a session read at the stored version, and refuses a stale version', () => {
    const { store } = storeOn();
    const first = create(store, 'k');
    const second = recordOf('second');
    const replaced = store.commit('k', first.version, second, TTL, 20);
    expect(replaced.committed).toBe(true);
    const current = store.load('k') as StoredSession;
    expect(current.record).toBe(second);
    expect(current.version).not.toEqual(first.version);

    const stale = store.commit('k', first.version, recordOf('late'), TTL, 20);
    expect(stale).toEqual({ committed: false, current });
    expect((store.load('k') as StoredSession).record).toBe(second);
  });

  it('refuses to update a session that is no longer stored, and stores nothing', () => {
    const { store } = storeOn();
    const gone = create(store, 'k');
    store.delete('k');
    expect(store.commit('k', gone.version, recordOf('late'), TTL, 10)).toEqual({
      committed: false,
      current: undefined,
    });
    expect(store.load('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('gives the same record committed again a new version, so an old reader still conflicts', () => {
    const { store } = storeOn();
    const first = create(store, 'k');
    store.delete('k');
    const again = store.commit('k', undefined, first.record, TTL, 10);
    expect(again.committed).toBe(true);
    expect(store.commit('k', first.version, recordOf('late'), TTL, 10).committed).toBe(false);
  });
});

describe('MemorySessionStore moved marker', () => {
  it('takes the session and leaves a marker that refuses commits until its ttl passes', () => {
    const { store, advance } = storeOn();
    const session = create(store, 'old');
    expect(store.move('old', session.version, 5000)).toEqual({ moved: true });
    expect(store.load('old')).toBe('moved');
    expect(store.commit('old', undefined, recordOf('new'), TTL, 10)).toEqual({
      committed: false,
      current: 'moved',
    });
    expect(store.commit('old', session.version, recordOf('late'), TTL, 10)).toEqual({
      committed: false,
      current: 'moved',
    });
    expect(store.bytes).toBe(0);

    advance(4999);
    expect(store.load('old')).toBe('moved');
    advance(1);
    expect(store.load('old')).toBeUndefined();
    expect(store.commit('old', undefined, recordOf('new'), TTL, 10).committed).toBe(true);
  });

  it('moves only the version it was given, and hands back what is stored instead', () => {
    const { store } = storeOn();
    expect(store.move('k', 1, 5000)).toEqual({ moved: false, current: undefined });
    expect(store.size).toBe(0);

    const first = create(store, 'k', 100);
    expect(store.commit('k', first.version, recordOf('second'), TTL, 40).committed).toBe(true);
    const second = store.load('k') as StoredSession;
    expect(store.move('k', first.version, 5000)).toEqual({ moved: false, current: second });
    expect(store.load('k')).toBe(second);
    expect(store.bytes).toBe(40);

    expect(store.move('k', second.version, 5000)).toEqual({ moved: true });
    expect(store.bytes).toBe(0);
    expect(store.move('k', second.version, 5000)).toEqual({ moved: false, current: 'moved' });
  });

  it('delete removes a marker', () => {
    const { store } = storeOn();
    const session = create(store, 'k');
    store.move('k', session.version, 5000);
    store.delete('k');
    expect(store.load('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe('MemorySessionStore expiry', () => {
  it('forgets a session ttl ms after its last commit; a load does not extend it', () => {
    const { store, advance } = storeOn();
    const first = create(store, 'k', 10, 1000);
    advance(800);
    const second = recordOf('second');
    expect(store.commit('k', first.version, second, 1000, 10).committed).toBe(true);
    advance(999);
    expect((store.load('k') as StoredSession).record).toBe(second);
    advance(1);
    expect(store.load('k')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('treats an expired session as nothing: a new one may be created, an update conflicts', () => {
    const { store, advance } = storeOn();
    const expired = create(store, 'k', 10, 1000);
    advance(1000);
    expect(store.commit('k', expired.version, recordOf('late'), 1000, 10)).toEqual({
      committed: false,
      current: undefined,
    });
    expect(store.commit('k', undefined, recordOf('new'), 1000, 10).committed).toBe(true);
  });

  it('sweeps expired sessions nobody loads out of memory as other sessions are written', () => {
    const { store, advance } = storeOn();
    for (let i = 0; i < 100; i += 1) create(store, `idle${i}`, 50, 1000);
    for (let i = 0; i < 20; i += 1) store.load(`idle${i}`);
    expect(store.size).toBe(100);
    advance(1000);
    for (let i = 0; i < 100; i += 1) create(store, `busy${i}`, 10);
    expect(store.size).toBe(100);
    expect(store.bytes).toBe(100 * 10);
  });
});

describe('MemorySessionStore bounds', () => {
  it('holds at most maxSessions keys, evicting the least recently used', () => {
    const { store } = storeOn({ maxSessions: 3 });
    for (const key of ['a', 'b', 'c']) create(store, key);
    store.load('a');
    create(store, 'd');
    expect(store.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((key) => has(store, key))).toEqual([true, false, true, true]);
  });

  it('stores again a session evicted since it was read, for a commit of the version read', () => {
    const { store, advance } = storeOn({ maxSessions: 1 });
    const read = create(store, 'user');
    create(store, 'index');
    expect(has(store, 'user')).toBe(false);
    const written = store.commit('user', read.version, recordOf('written'), TTL, 100);
    expect(written.committed).toBe(true);
    expect(has(store, 'user')).toBe(true);
    expect(has(store, 'index')).toBe(false);
    // Once stored again, the eviction is forgotten: the version read is stale now.
    expect(store.commit('user', read.version, recordOf('stale'), TTL, 100).committed).toBe(false);
    // Not for another version, nor once the evicted session would have expired.
    const other = create(store, 'other');
    create(store, 'next');
    expect(store.commit('other', 'not its version', recordOf('x'), TTL, 100).committed).toBe(false);
    advance(TTL);
    expect(store.commit('other', other.version, recordOf('late'), TTL, 100).committed).toBe(false);
  });

  it('keeps moved markers apart from maxSessions: sessions never evict them', () => {
    const { store } = storeOn({ maxSessions: 2 });
    const a = create(store, 'a');
    store.move('a', a.version, 5000);
    create(store, 'b');
    create(store, 'c');
    expect(store.size).toBe(2);
    expect(store.load('a')).toBe('moved');
  });

  it('holds at most maxBytes of sessions, counting the size of each commit', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    const a = create(store, 'a', 400);
    create(store, 'b', 400);
    expect(store.commit('a', a.version, recordOf('bigger'), TTL, 700).committed).toBe(true);
    expect(store.bytes).toBe(700);
    expect(has(store, 'b')).toBe(false);
    create(store, 'c', 300);
    expect(store.bytes).toBe(1000);
    expect([has(store, 'a'), has(store, 'c')]).toEqual([true, true]);
    create(store, 'd', 1);
    expect(store.bytes).toBeLessThanOrEqual(1000);
  });

  it('defaults to 100 000 sessions and 128 MiB', () => {
    const { store } = storeOn();
    const record = recordOf('shared');
    for (let i = 0; i <= 100_000; i += 1) store.commit(`s${i}`, undefined, record, TTL, 1);
    expect(store.size).toBe(100_000);
    const { store: big } = storeOn();
    for (let i = 0; i <= 2048; i += 1) big.commit(`s${i}`, undefined, record, TTL, 64 * 1024);
    expect(big.bytes).toBe(128 * MiB);
    expect(big.size).toBe(2048);
  });

  it('refuses a session larger than maxBytes, a bad size or ttl, with a RangeError', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    const record = recordOf('x');
    expect(() => store.commit('k', undefined, record, TTL, 1001)).toThrow(/maxBytes 1000/);
    expect(() => store.commit('k', undefined, record, TTL, -1)).toThrow(RangeError);
    expect(() => store.commit('k', undefined, record, TTL, Number.NaN)).toThrow(RangeError);
    expect(() => store.commit('k', undefined, record, 0, 10)).toThrow(/ttl/);
    expect(() => store.move('k', undefined, Number.NaN)).toThrow(/ttl/);
    expect(store.size).toBe(0);
  });

  it('refuses bad options with an error naming the option', () => {
    expect(() => new MemorySessionStore({ maxSessions: 0 })).toThrow(/maxSessions/);
    expect(() => new MemorySessionStore({ maxSessions: 1.5 })).toThrow(/maxSessions/);
    expect(() => new MemorySessionStore({ maxBytes: -1 })).toThrow(/maxBytes/);
    expect(() => new MemorySessionStore({ maxBytes: '10' as unknown as number })).toThrow(
      /maxBytes/,
    );
    expect(() => new MemorySessionStore({ now: 5 as unknown as () => number })).toThrow(/now/);
  });
});

describe('MemorySessionStore scan resistance', () => {
  it('keeps every session used in two requests through a flood of one-shot sessions', () => {
    const { store } = storeOn({ maxSessions: 1000 });
    const kept = Array.from({ length: 10 }, (_, i) => `user${i}`);
    for (const [i, key] of kept.entries()) {
      const session = create(store, key);
      // Half come back to read, half to write: both are a second use.
      if (i % 2 === 0) store.load(key);
      else store.commit(key, session.version, recordOf('again'), TTL, 100);
    }
    for (let i = 0; i < 10_000; i += 1) create(store, `visitor${i}`);
    expect(store.size).toBe(1000);
    expect(kept.filter((key) => has(store, key))).toEqual(kept);
    expect(has(store, 'visitor9999')).toBe(true);
    expect(has(store, 'visitor0')).toBe(false);
  });

  it('keeps them through a flood that fills maxBytes', () => {
    const { store } = storeOn({ maxBytes: 100_000 });
    const kept = Array.from({ length: 10 }, (_, i) => `user${i}`);
    for (const key of kept) {
      create(store, key, 4000);
      store.load(key);
    }
    for (let i = 0; i < 10_000; i += 1) create(store, `visitor${i}`, 900);
    expect(store.bytes).toBeLessThanOrEqual(100_000);
    expect(kept.filter((key) => has(store, key))).toEqual(kept);
  });

  it('caps the protected sessions at 80 % of maxSessions, demoting the least recently used', () => {
    const { store } = storeOn({ maxSessions: 10 });
    const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
    for (const key of users) {
      create(store, key);
      store.load(key);
    }
    for (let i = 0; i < 100; i += 1) create(store, `visitor${i}`);
    expect(store.size).toBe(10);
    expect(users.map((key) => has(store, key))).toEqual([
      ...Array<boolean>(4).fill(false),
      ...Array<boolean>(8).fill(true),
    ]);
    expect(has(store, 'visitor99')).toBe(true);
  });

  it('caps the protected sessions at 80 % of maxBytes', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    for (const key of ['a', 'b', 'c']) {
      create(store, key, 300);
      store.load(key);
    }
    for (let i = 0; i < 100; i += 1) create(store, `visitor${i}`, 10);
    expect([has(store, 'a'), has(store, 'b'), has(store, 'c')]).toEqual([false, true, true]);
  });

  it('keeps a session larger than the protected share on probation', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    create(store, 'huge', 900);
    store.load('huge');
    create(store, 'next', 200);
    expect(has(store, 'huge')).toBe(false);
  });
});

describe('MemorySessionStore records', () => {
  it('never changes a record it holds, whatever happens to it', () => {
    const { store, advance } = storeOn({ maxSessions: 3 });
    advance(1000);
    const record = recordOf({ nested: ['x', { y: 1 }] });
    record.csrf = 'secret';
    segmentOf(record, 'flashy').flash.set('notice', 'hi');
    const snapshot = structuredClone(record);
    const outcome = store.commit('k', undefined, record, 1000, 50);
    store.load('k');
    const next = store.commit(
      'k',
      outcome.committed && outcome.version,
      recordOf('next'),
      1000,
      50,
    );
    store.move('k', next.committed && next.version, 10);
    const again = store.commit('other', undefined, record, 1000, 50);
    for (let i = 0; i < 5; i += 1) create(store, `flood${i}`);
    advance(2000);
    store.load('other');
    expect(again.committed).toBe(true);
    expect(record).toEqual(snapshot);
  });

  it('never exceeds its bounds nor answers with a stale or foreign session (property)', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const key = fc.constantFrom(...keys);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('commit' as const),
        key,
        fresh: fc.boolean(),
        size: fc.nat({ max: 400 }),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({ kind: fc.constant('load' as const), key }),
      fc.record({
        kind: fc.constant('move' as const),
        key,
        stale: fc.boolean(),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), key }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.nat({ max: 30 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 400, max: 1200 }),
        fc.array(op, { maxLength: 150 }),
        (maxSessions, maxBytes, ops) => {
          const { store, advance } = storeOn({ maxSessions, maxBytes });
          /** The last write to each key: what a load may answer, besides nothing. */
          const last = new Map<string, StoredSession | 'moved'>();
          const snapshots = new Map<SessionRecord, SessionRecord>();
          const expectLatest = (k: string, found: unknown) => {
            if (found !== undefined) expect(found).toBe(last.get(k));
          };
          for (const step of ops) {
            if (step.kind === 'commit') {
              const known = last.get(step.key);
              const expected = step.fresh || known === 'moved' ? undefined : known?.version;
              const record = recordOf(snapshots.size);
              snapshots.set(record, structuredClone(record));
              const outcome = store.commit(step.key, expected, record, step.ttl, step.size);
              if (outcome.committed) {
                last.set(step.key, { record, version: outcome.version, size: step.size });
              } else {
                expect(outcome.current).not.toBe('corrupt');
                if (typeof outcome.current === 'object') {
                  expect(outcome.current).toEqual(last.get(step.key));
                } else {
                  expectLatest(step.key, outcome.current);
                }
              }
            } else if (step.kind === 'load') {
              const found = store.load(step.key);
              if (typeof found === 'object') expect(found).toEqual(last.get(step.key));
              else expectLatest(step.key, found);
            } else if (step.kind === 'move') {
              const known = last.get(step.key);
              const expected = step.stale || known === 'moved' ? -1 : known?.version;
              const outcome = store.move(step.key, expected, step.ttl);
              if (outcome.moved) {
                last.set(step.key, 'moved');
              } else if (typeof outcome.current === 'object') {
                expect(outcome.current).toEqual(last.get(step.key));
              } else {
                expectLatest(step.key, outcome.current);
              }
            } else if (step.kind === 'delete') {
              store.delete(step.key);
              last.delete(step.key);
            } else {
              advance(step.ms);
            }
            expect(store.size).toBeLessThanOrEqual(maxSessions);
            expect(store.bytes).toBeLessThanOrEqual(maxBytes);
            expect(store.bytes).toBeGreaterThanOrEqual(0);
          }
          let liveBytes = 0;
          for (const k of keys) {
            const found = store.load(k);
            if (typeof found === 'object') liveBytes += found.size;
          }
          expect(liveBytes).toBe(store.bytes);
          for (const [record, snapshot] of snapshots) expect(record).toEqual(snapshot);
        },
      ),
      { numRuns: 300 },
    );
  });
});
