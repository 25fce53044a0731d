import { failureResponseOf, SessionTooLargeError } from '../../src/core/errors.js';
import { newRecord, segmentOf, type SessionRecord } from '../../src/core/session-record.js';
import type { StoredSession } from '../../src/core/session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';

/**
 * The memory store under the two steps of `regenerateId()`: the session written under its new
 * key, then its old key moved (replaced by the marker a late request of the old id finds).
 */

const START = 1_750_000_000_000;
const TTL = 30 * 60 * 1000;
const MOVED_TTL = 60_000;

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

/** A session created `age` ms before the test started, holding `value`. */
function recordOf(value: unknown, age = 0): SessionRecord {
  const record = newRecord(START - age);
  segmentOf(record, 'app').values.set('v', value);
  return record;
}

let nextAge = 1;

/** Commits a new session under `key`, created at a time no other session of the test shares. */
function create(store: MemorySessionStore, key: string, size = 100, ttl = TTL): StoredSession {
  const record = recordOf(key, nextAge++);
  const outcome = store.commit(key, undefined, record, ttl, size);
  if (!outcome.committed) throw new Error(`creating ${key} was refused`);
  return { record, version: outcome.version, size };
}

/** What `regenerateId()` does to `old`: its record written under `key`, then `old` moved. */
function regenerate(store: MemorySessionStore, old: string, from: StoredSession, key: string) {
  const written = store.commit(key, undefined, from.record, TTL, from.size);
  if (!written.committed) throw new Error(`writing ${key} was refused`);
  return store.move(old, from.version, MOVED_TTL);
}

/** Writes `count` sessions used in one request each. */
function flood(store: MemorySessionStore, count: number): void {
  for (let i = 0; i < count; i += 1) create(store, `visitor${i}`);
}

function valueUnder(store: MemorySessionStore, key: string): unknown {
  const found = store.load(key);
  return typeof found === 'object' ? found.record.segments.get('app')?.values.get('v') : found;
}

describe('MemorySessionStore: a record over maxBytes', () => {
  it('is refused with a SessionTooLargeError (a 413), storing nothing and keeping what was there', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    const kept = create(store, 'k', 400);
    let refused: unknown;
    try {
      store.commit('k', kept.version, recordOf('huge'), TTL, 1001);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SessionTooLargeError);
    expect(refused).toMatchObject({ code: 'SESSION_TOO_LARGE', size: 1001, maxSize: 1000 });
    expect(failureResponseOf(refused)?.statusCode).toBe(413);
    expect(valueUnder(store, 'k')).toBe('k');
    expect(() => store.commit('new', undefined, recordOf('huge'), TTL, 1001)).toThrow(
      SessionTooLargeError,
    );
    expect(store.load('new')).toBeUndefined();
    expect([store.size, store.bytes]).toEqual([1, 400]);
  });
});

describe('MemorySessionStore: the moved marker', () => {
  it('outlives a flood of one-request sessions, until its ttl passes', () => {
    const { store, advance } = storeOn({ maxSessions: 10 });
    const old = create(store, 'old');
    store.load('old');
    expect(regenerate(store, 'old', old, 'new')).toEqual({ moved: true });
    flood(store, 100);
    expect(store.load('old')).toBe('moved');
    expect(store.commit('old', old.version, recordOf('late'), TTL, 10)).toEqual({
      committed: false,
      current: 'moved',
    });
    expect(store.size).toBeLessThanOrEqual(10);
    advance(MOVED_TTL - 1);
    expect(store.load('old')).toBe('moved');
    advance(1);
    expect(store.load('old')).toBeUndefined();
  });

  it('holds at most maxSessions markers besides the sessions, dropping the oldest first', () => {
    const { store } = storeOn({ maxSessions: 3 });
    for (let i = 0; i < 4; i += 1) {
      const session = create(store, `s${i}`);
      expect(store.move(`s${i}`, session.version, MOVED_TTL)).toEqual({ moved: true });
    }
    expect(['s0', 's1', 's2', 's3'].map((key) => store.load(key))).toEqual([
      undefined,
      'moved',
      'moved',
      'moved',
    ]);
    expect([store.size, store.bytes]).toEqual([0, 0]);
    flood(store, 3);
    expect(store.size).toBe(3);
    expect(store.load('s3')).toBe('moved');
  });
});

describe('MemorySessionStore: the new key of a move', () => {
  it('keeps the place of the session in use it replaces, through a flood of one-request sessions', () => {
    const { store } = storeOn({ maxSessions: 10 });
    const old = create(store, 'old');
    store.load('old');
    expect(regenerate(store, 'old', old, 'new')).toEqual({ moved: true });
    flood(store, 100);
    expect(valueUnder(store, 'new')).toBe('old');
  });

  it('gives that place to no session but the one moved', () => {
    const { store } = storeOn({ maxSessions: 10 });
    const old = create(store, 'old');
    store.load('old');
    create(store, 'stranger');
    expect(store.move('old', old.version, MOVED_TTL)).toEqual({ moved: true });
    flood(store, 100);
    expect(store.load('stranger')).toBeUndefined();
  });
});

describe('MemorySessionStore: an old key the write of its new key evicted', () => {
  it('is moved when the store holds one session (maxSessions 1)', () => {
    const { store } = storeOn({ maxSessions: 1 });
    const old = create(store, 'old');
    store.load('old');
    expect(regenerate(store, 'old', old, 'new')).toEqual({ moved: true });
    expect(store.load('old')).toBe('moved');
    expect(valueUnder(store, 'new')).toBe('old');
    expect(store.size).toBe(1);
  });

  it('is moved when the session takes more than half of maxBytes', () => {
    const { store } = storeOn({ maxBytes: 1000 });
    const old = create(store, 'old', 600);
    store.load('old');
    expect(regenerate(store, 'old', old, 'new')).toEqual({ moved: true });
    expect(store.load('old')).toBe('moved');
    expect(valueUnder(store, 'new')).toBe('old');
    expect(store.bytes).toBe(600);
  });

  it('is not moved once destroyed, revoked or expired', () => {
    const { store, advance } = storeOn({ maxSessions: 1 });
    const gone = { moved: false, current: undefined };

    const destroyed = create(store, 'destroyed');
    store.delete('destroyed');
    expect(regenerate(store, 'destroyed', destroyed, 'new1')).toEqual(gone);

    const revoked = create(store, 'revoked');
    const tombstone = { ...recordOf('tombstone'), revoked: true as const };
    expect(store.commit('revoked', revoked.version, tombstone, TTL, 50).committed).toBe(true);
    expect(regenerate(store, 'revoked', revoked, 'new2')).toEqual(gone);

    const expired = create(store, 'expired', 100, 1000);
    advance(1000);
    expect(regenerate(store, 'expired', expired, 'new3')).toEqual(gone);

    const late = create(store, 'late');
    expect(store.commit('new5', undefined, late.record, TTL, late.size).committed).toBe(true);
    store.delete('late');
    expect(store.move('late', late.version, MOVED_TTL)).toEqual(gone);
  });

  it('is moved when an earlier write evicted it (a user index written before it, say)', () => {
    const { store } = storeOn({ maxSessions: 1 });
    const early = create(store, 'early');
    create(store, 'between');
    expect(regenerate(store, 'early', early, 'new')).toEqual({ moved: true });
    expect(store.load('early')).toBe('moved');
    expect(valueUnder(store, 'new')).toBe('early');
  });

  it('forgets an eviction once eight more came after it', () => {
    const { store } = storeOn({ maxSessions: 1 });
    const early = create(store, 'early');
    for (let i = 0; i < 9; i += 1) create(store, `between${i}`);
    expect(regenerate(store, 'early', early, 'new')).toEqual({ moved: false, current: undefined });
  });

  it('is not moved at a version other than the one evicted', () => {
    const { store } = storeOn({ maxSessions: 1 });
    const first = create(store, 'old');
    const second = store.commit('old', first.version, recordOf('second'), TTL, 100);
    expect(second.committed).toBe(true);
    expect(regenerate(store, 'old', first, 'new')).toEqual({ moved: false, current: undefined });
  });
});
