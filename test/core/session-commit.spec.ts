import { jest } from '@jest/globals';
import { createCache } from 'cache-manager';
import { ChangeLog } from '../../src/core/change-log.js';
import { SessionStoreUnavailableError, SessionTooLargeError } from '../../src/core/errors.js';
import { applyChange, type SessionChange } from '../../src/core/session-change.js';
import { commitChanges, MOVED_TTL, type CommitInput } from '../../src/core/session-commit.js';
import {
  copyRecord,
  newRecord,
  segmentOf,
  serializeRecord,
  type SessionRecord,
} from '../../src/core/session-record.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../../src/core/session-options.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import type {
  CommitOutcome,
  MaybePromise,
  MoveOutcome,
  SessionStore,
  StoredSession,
  StoreLookup,
} from '../../src/core/session-store.js';
import { KeyvSessionStore } from '../../src/storage/keyv-session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';
import { fakeClock } from '../support/timing/fake-clock.js';

const SEGMENT = 'App\\Cart';
const KEY = 'sess:old';
const NEW_KEY = 'sess:new';
const IDLE = 30 * 60_000;

function runtimeOn(store: SessionStore, options: SessionModuleOptions = {}): SessionRuntime {
  return new SessionRuntime(resolveSessionConfig({ idleTimeout: IDLE, ...options }), store, {
    warn: () => undefined,
  });
}

function recordWith(values: Record<string, unknown>, now = Date.now()): SessionRecord {
  const record = newRecord(now);
  for (const [k, v] of Object.entries(values)) segmentOf(record, SEGMENT).values.set(k, v);
  return record;
}

function valuesOf(found: StoreLookup): Record<string, unknown> {
  if (typeof found !== 'object') throw new Error(`no session stored: ${String(found)}`);
  return Object.fromEntries(found.record.segments.get(SEGMENT)?.values ?? []);
}

/** Stores `record` under `key` as a previous request would have, and returns what it read back. */
function seed(store: MemorySessionStore, key: string, record: SessionRecord): StoredSession {
  const size = Buffer.byteLength(serializeRecord(record));
  const outcome = store.commit(key, undefined, record, IDLE, size);
  if (!outcome.committed) throw new Error('seed failed');
  return store.load(key) as StoredSession;
}

/** Another request's write onto what is stored under `key` now. */
function writeAsOther(store: MemorySessionStore, key: string, change: SessionChange): void {
  const current = store.load(key) as StoredSession;
  const record = copyRecord(current.record);
  applyChange(record, change);
  const size = Buffer.byteLength(serializeRecord(record));
  expect(store.commit(key, current.version, record, IDLE, size).committed).toBe(true);
}

/**
 * A request that read `base` and made `changes` to its own copy, as the session core hands it
 * to the commit: growing writes checked against `maxSize`, which keeps the size bound.
 */
function requestOf(
  runtime: SessionRuntime,
  base: StoredSession | undefined,
  changes: SessionChange[],
  overrides: Partial<CommitInput> = {},
): CommitInput {
  const log = new ChangeLog(runtime.config.maxSize);
  const mine = base ? copyRecord(base.record) : newRecord(Date.now());
  log.reset(Buffer.byteLength(serializeRecord(mine)));
  for (const change of changes) {
    if (change.kind === 'set' || change.kind === 'setFlash') log.recordWithinLimit(mine, change);
    else log.record(mine, change);
  }
  const now = Date.now();
  return {
    runtime,
    now,
    deadline: now + runtime.config.storeTimeout,
    base,
    baseKey: base ? KEY : undefined,
    key: KEY,
    moving: false,
    candidate: base ? mine : undefined,
    fresh: base ? undefined : mine,
    changes: log.take(),
    log,
    ...overrides,
  };
}

const setMine = { kind: 'set', segment: SEGMENT, key: 'mine', value: 'm' } as const;
const setTheirs = { kind: 'set', segment: SEGMENT, key: 'theirs', value: 't' } as const;

describe('commitChanges on a synchronous store', () => {
  it('stores a new session without a promise', () => {
    const store = new MemorySessionStore();
    const runtime = runtimeOn(store);
    const result = commitChanges(requestOf(runtime, undefined, [setMine]));
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ outcome: 'stored' });
    expect(valuesOf(store.load(KEY))).toEqual({ mine: 'm' });
  });

  it("stores the request's own copy when nobody wrote since it read the session", () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const result = commitChanges(requestOf(runtimeOn(store), base, [setMine]));
    expect(result).toMatchObject({ outcome: 'stored' });
    expect(valuesOf(store.load(KEY))).toEqual({ a: 1, mine: 'm' });
  });

  it('hands back the stored state: its record, new version and size', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const result = commitChanges(requestOf(runtimeOn(store), base, [setMine]));
    if (result instanceof Promise || result.outcome !== 'stored') throw new Error('not stored');
    const stored = store.load(KEY) as StoredSession;
    expect(result.stored.version).toBe(stored.version);
    expect(result.stored.version).not.toBe(base.version);
    expect(result.stored.record).toBe(stored.record);
    expect(result.stored.size).toBeGreaterThanOrEqual(
      Buffer.byteLength(serializeRecord(stored.record)),
    );
  });

  it("replays its changes onto what another request stored meanwhile, keeping that request's key", () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    writeAsOther(store, KEY, setTheirs);
    expect(commitChanges(input)).toMatchObject({ outcome: 'stored' });
    expect(valuesOf(store.load(KEY))).toEqual({ a: 1, theirs: 't', mine: 'm' });
  });

  it("replays a removal without undoing another request's write to another key", () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1, b: 2 }));
    const input = requestOf(runtimeOn(store), base, [
      { kind: 'remove', segment: SEGMENT, key: 'a' },
    ]);
    writeAsOther(store, KEY, { kind: 'set', segment: SEGMENT, key: 'b', value: 3 });
    commitChanges(input);
    expect(valuesOf(store.load(KEY))).toEqual({ b: 3 });
  });

  it('never writes back a session deleted meanwhile: gone', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    store.delete(KEY);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    expect(store.load(KEY)).toBeUndefined();
  });

  it('never writes over a revocation tombstone: gone', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    const tombstone = { ...newRecord(Date.now()), revoked: true as const };
    store.commit(KEY, base.version, tombstone, IDLE, 10);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    expect((store.load(KEY) as StoredSession).record.revoked).toBe(true);
  });

  it('never writes under an id another request moved away: moved', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    store.move(KEY, base.version, MOVED_TTL);
    expect(commitChanges(input)).toEqual({ outcome: 'moved' });
    expect(store.load(KEY)).toBe('moved');
  });

  it('never revives a session that another request left past its idle timeout: gone', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    // The store still holds it (a store may keep an entry longer than asked), but it is expired.
    const stale = recordWith({ theirs: 't' });
    stale.lastSeen = input.now - IDLE;
    store.commit(KEY, base.version, stale, IDLE, 10);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    expect(valuesOf(store.load(KEY))).toEqual({ theirs: 't' });
  });

  it('never revives a session that passed its idle timeout while the request ran: gone', () => {
    const store = new MemorySessionStore();
    // Read at its last moment; the store keeps it unchanged after (a TTL changed by hand).
    const base = seed(store, KEY, recordWith({ a: 1 }, Date.now() - IDLE));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    expect(valuesOf(store.load(KEY))).toEqual({ a: 1 });
  });

  it('stamps the written record with the commit time, so idleness counts from it', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }, Date.now() - 60_000));
    const input = requestOf(runtimeOn(store), base, [setMine]);
    commitChanges(input);
    expect((store.load(KEY) as StoredSession).record.lastSeen).toBe(input.now);
  });

  it("refuses a merge that other requests' writes push over maxSize, storing nothing", () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({}));
    const maxSize = Buffer.byteLength(serializeRecord(base.record)) + 150;
    const runtime = runtimeOn(store, { maxSize });
    const mine = { kind: 'set', segment: 'App\\Mine', key: 'k', value: 'm'.repeat(80) } as const;
    const input = requestOf(runtime, base, [mine]);
    writeAsOther(store, KEY, {
      kind: 'set',
      segment: SEGMENT,
      key: 'theirs',
      value: 't'.repeat(80),
    });
    const before = store.load(KEY);
    let error: unknown;
    try {
      commitChanges(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect((error as SessionTooLargeError).segment).toBe('App\\Mine');
    expect(store.load(KEY)).toBe(before);
  });
});

describe('commitChanges after regenerateId()', () => {
  it('moves the session to the new key and leaves the moved marker under the old one', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine], {
      baseKey: KEY,
      key: NEW_KEY,
      moving: true,
    });
    expect(commitChanges(input)).toMatchObject({ outcome: 'stored' });
    expect(valuesOf(store.load(NEW_KEY))).toEqual({ a: 1, mine: 'm' });
    expect(store.load(KEY)).toBe('moved');
  });

  it("takes along another request's write made before the move", () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine], {
      key: NEW_KEY,
      moving: true,
    });
    writeAsOther(store, KEY, setTheirs);
    commitChanges(input);
    expect(valuesOf(store.load(NEW_KEY))).toEqual({ a: 1, theirs: 't', mine: 'm' });
  });

  it('writes nothing when the old id was already moved by a sibling request', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine], { key: NEW_KEY, moving: true });
    store.move(KEY, base.version, MOVED_TTL);
    expect(commitChanges(input)).toEqual({ outcome: 'moved' });
    expect(store.load(NEW_KEY)).toBeUndefined();
  });

  it('writes nothing when the session was destroyed before the move', () => {
    const store = new MemorySessionStore();
    const base = seed(store, KEY, recordWith({ a: 1 }));
    const input = requestOf(runtimeOn(store), base, [setMine], { key: NEW_KEY, moving: true });
    store.delete(KEY);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    expect(store.load(NEW_KEY)).toBeUndefined();
  });
});

/**
 * The memory store, recording the calls a commit makes. `beforeMove` runs once, just before the
 * next move: what another request does between the two steps of a regenerate's commit.
 * `stallCommits` makes every commit answer a promise that never settles: a store that hangs.
 */
class SteppedStore implements SessionStore {
  readonly atomic = true;
  readonly inner = new MemorySessionStore();
  readonly calls: string[] = [];
  beforeMove: (() => void) | undefined;
  stallCommits = false;

  load(key: string): StoreLookup {
    this.calls.push(`load ${key}`);
    return this.inner.load(key);
  }

  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
    size: number,
  ): MaybePromise<CommitOutcome> {
    this.calls.push(`commit ${key}`);
    if (this.stallCommits) return new Promise<never>(() => undefined);
    return this.inner.commit(key, expected, record, ttl, size);
  }

  move(key: string, expected: unknown, ttl: number): MoveOutcome {
    this.calls.push(`move ${key}`);
    const meanwhile = this.beforeMove;
    this.beforeMove = undefined;
    meanwhile?.();
    return this.inner.move(key, expected, ttl);
  }

  delete(key: string): void {
    this.calls.push(`delete ${key}`);
    this.inner.delete(key);
  }
}

describe('commitChanges after regenerateId(): the new key first, the old one moved last', () => {
  /** A regenerating request on a SteppedStore that read `values` and sets `mine`. */
  function regenerating(values: Record<string, unknown>, options: SessionModuleOptions = {}) {
    const store = new SteppedStore();
    const base = seed(store.inner, KEY, recordWith(values));
    const runtime = runtimeOn(store, options);
    const input = requestOf(runtime, base, [setMine], { key: NEW_KEY, moving: true });
    return { store, base, input, runtime };
  }

  it('costs one compare-and-set of the new key and one move when nobody else wrote', () => {
    const { store, input } = regenerating({ a: 1 });
    expect(commitChanges(input)).toMatchObject({ outcome: 'stored' });
    expect(store.calls).toEqual([`commit ${NEW_KEY}`, `move ${KEY}`]);
    expect(valuesOf(store.inner.load(NEW_KEY))).toEqual({ a: 1, mine: 'm' });
  });

  it('carries over to the new id a commit of the old id that lands between the two steps', () => {
    const { store, input } = regenerating({ a: 1 });
    store.beforeMove = () => writeAsOther(store.inner, KEY, setTheirs);
    const result = commitChanges(input);
    expect(result).toMatchObject({ outcome: 'stored' });
    expect(valuesOf(store.inner.load(NEW_KEY))).toEqual({ a: 1, theirs: 't', mine: 'm' });
    expect(store.inner.load(KEY)).toBe('moved');
    // What the request goes on with is what the new key holds.
    const stored = store.inner.load(NEW_KEY) as StoredSession;
    expect(result).toEqual({ outcome: 'stored', stored: expect.objectContaining(stored) });
  });

  it.each([
    ['destroyed', (store: MemorySessionStore) => store.delete(KEY)],
    [
      'revoked',
      (store: MemorySessionStore) => {
        const current = store.load(KEY) as StoredSession;
        const tombstone = { ...newRecord(Date.now()), revoked: true as const };
        store.commit(KEY, current.version, tombstone, IDLE, 10);
      },
    ],
  ])('a session %s between the two steps stays gone under both ids', (_, meanwhile) => {
    const { store, input } = regenerating({ a: 1 });
    store.beforeMove = () => meanwhile(store.inner);
    expect(commitChanges(input)).toEqual({ outcome: 'gone' });
    const live = (found: StoreLookup) => typeof found === 'object' && !found.record.revoked;
    expect(live(store.inner.load(KEY))).toBe(false);
    expect(store.inner.load(NEW_KEY)).toBeUndefined();
  });

  it('a sibling that moved the old id between the two steps wins: moved, the new key holds nothing', () => {
    const { store, base, input } = regenerating({ a: 1 });
    store.beforeMove = () => store.inner.move(KEY, base.version, MOVED_TTL);
    expect(commitChanges(input)).toEqual({ outcome: 'moved' });
    expect(store.inner.load(NEW_KEY)).toBeUndefined();
    expect(store.inner.load(KEY)).toBe('moved');
  });

  it.each([
    ['before the commit starts', true],
    ['between its two steps', false],
  ])(
    "refuses a merge that another request's commit %s pushes over maxSize; the old session keeps it",
    (_, early) => {
      const sizeOfEmpty = Buffer.byteLength(serializeRecord(recordWith({})));
      const store = new SteppedStore();
      const base = seed(store.inner, KEY, recordWith({}));
      const runtime = runtimeOn(store, { maxSize: sizeOfEmpty + 150 });
      const mine = { kind: 'set', segment: 'App\\Mine', key: 'k', value: 'm'.repeat(80) } as const;
      const input = requestOf(runtime, base, [mine], { key: NEW_KEY, moving: true });
      const theirs = {
        kind: 'set',
        segment: SEGMENT,
        key: 'theirs',
        value: 't'.repeat(80),
      } as const;
      if (early) writeAsOther(store.inner, KEY, theirs);
      else store.beforeMove = () => writeAsOther(store.inner, KEY, theirs);
      expect(() => commitChanges(input)).toThrow(SessionTooLargeError);
      // None of this request's changes are stored; the old id still holds the other's write.
      expect(valuesOf(store.inner.load(KEY))).toEqual({ theirs: 't'.repeat(80) });
      expect(store.inner.load(NEW_KEY)).toBeUndefined();
    },
  );

  it('a write of the new key that outlasts storeTimeout leaves the old session where it was', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const { store, base, input } = regenerating({ a: 1 }, { storeTimeout: 1_000 });
      store.stallCommits = true;
      const result = Promise.resolve(commitChanges(input));
      jest.advanceTimersByTime(1_000);
      await expect(result).rejects.toThrow(SessionStoreUnavailableError);
      // The old key was never taken: the cookie the browser still holds reads the session.
      expect(store.calls).toEqual([`commit ${NEW_KEY}`]);
      expect(store.inner.load(KEY)).toBe(base);
    } finally {
      jest.useRealTimers();
    }
  });
});

/**
 * An asynchronous store (Keyv over cache-manager's in-memory cache) whose moves wait until the
 * test releases them: a store that stalls on the last step of a regenerate and answers later.
 */
class LateMoveStore implements SessionStore {
  readonly atomic = false;
  readonly inner = new KeyvSessionStore(createCache());
  private releases: Array<() => void> = [];
  /** Resolves once the commit under test asks for its move. */
  readonly moveAsked: Promise<void>;
  private asked!: () => void;

  constructor() {
    this.moveAsked = new Promise((resolve) => (this.asked = resolve));
  }

  load(key: string): Promise<StoreLookup> {
    return this.inner.load(key);
  }

  commit(key: string, expected: unknown, record: SessionRecord, ttl: number) {
    return this.inner.commit(key, expected, record, ttl);
  }

  async move(key: string, expected: unknown, ttl: number): Promise<MoveOutcome> {
    this.asked();
    await new Promise<void>((resolve) => this.releases.push(resolve));
    return this.inner.move(key, expected, ttl);
  }

  /** Lets the waiting move run now. */
  release(): void {
    for (const release of this.releases.splice(0)) release();
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

describe('commitChanges after regenerateId(): a move that lands after its request timed out', () => {
  async function timedOutRegenerate(meanwhile?: (store: LateMoveStore) => Promise<void>) {
    const store = new LateMoveStore();
    await store.inner.commit(KEY, undefined, recordWith({ a: 1 }), IDLE);
    const base = (await store.inner.load(KEY)) as StoredSession;
    const warnings: string[] = [];
    const runtime = new SessionRuntime(
      resolveSessionConfig({ idleTimeout: IDLE, storeTimeout: 1_000 }),
      store,
      { warn: (message) => warnings.push(message) },
    );
    const input = requestOf(runtime, base, [setMine], { key: NEW_KEY, moving: true });
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const result = Promise.resolve(commitChanges(input));
      await store.moveAsked;
      jest.advanceTimersByTime(1_000);
      await expect(result).rejects.toThrow(SessionStoreUnavailableError);
    } finally {
      jest.useRealTimers();
    }
    expect(valuesOf(await store.inner.load(NEW_KEY))).toEqual({ a: 1, mine: 'm' });
    await meanwhile?.(store);
    store.release();
    // The undo runs on its own, after the move: wait for what it logs, or a quiet moment.
    for (let i = 0; i < 100 && warnings.length === 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { store, warnings };
  }

  it('puts the old session back over its marker and removes the new key', async () => {
    const { store, warnings } = await timedOutRegenerate();
    expect(valuesOf(await store.inner.load(KEY))).toEqual({ a: 1 });
    expect(await store.inner.load(NEW_KEY)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('was undone')]);
  });

  it('leaves a session that another request changed before the late move alone', async () => {
    const { store, warnings } = await timedOutRegenerate(async (late) => {
      const current = (await late.inner.load(KEY)) as StoredSession;
      const changed = copyRecord(current.record);
      applyChange(changed, setTheirs);
      await late.inner.commit(KEY, current.version, changed, IDLE);
    });
    expect(valuesOf(await store.inner.load(KEY))).toEqual({ a: 1, theirs: 't' });
    expect(warnings).toEqual([]);
  });
});

describe('commitChanges for a new session', () => {
  it('reports a key that is already taken as gone instead of overwriting it', () => {
    const store = new MemorySessionStore();
    seed(store, KEY, recordWith({ someone: 'else' }));
    expect(commitChanges(requestOf(runtimeOn(store), undefined, [setMine]))).toEqual({
      outcome: 'gone',
    });
    expect(valuesOf(store.load(KEY))).toEqual({ someone: 'else' });
  });
});

/**
 * A store where another request always wins: every compare-and-set fails against a newer live
 * version, and each attempt costs `cost` ms of the (fake) clock.
 */
class AlwaysConflictingStore implements SessionStore {
  readonly atomic = true;
  commits = 0;
  private version = 0;

  constructor(
    private readonly cost: number,
    private readonly async: boolean,
    private readonly conflicts = Infinity,
  ) {}

  load(): StoreLookup {
    return undefined;
  }

  commit(): CommitOutcome | Promise<CommitOutcome> {
    this.commits++;
    jest.advanceTimersByTime(this.cost);
    const outcome: CommitOutcome =
      this.commits > this.conflicts
        ? { committed: true, version: 'won' }
        : {
            committed: false,
            current: {
              record: recordWith({ theirs: this.commits }),
              version: ++this.version,
              size: 80,
            },
          };
    return this.async ? Promise.resolve(outcome) : outcome;
  }

  move(): MoveOutcome {
    return { moved: false, current: undefined };
  }

  delete(): void {}
}

describe('commitChanges under conflicts that never end', () => {
  fakeClock();

  function baseOf(): StoredSession {
    return { record: recordWith({}), version: 0, size: 60 };
  }

  it.each([
    ['a synchronous', false],
    ['an asynchronous', true],
  ])('gives up with SessionStoreUnavailableError at the deadline on %s store', async (_, async) => {
    const store = new AlwaysConflictingStore(100, async);
    const input = requestOf(runtimeOn(store, { storeTimeout: 1_000 }), baseOf(), [setMine]);
    await expect(Promise.resolve().then(() => commitChanges(input))).rejects.toThrow(
      SessionStoreUnavailableError,
    );
    // One attempt per 100 ms of a 1 000 ms budget: it stops at the deadline, not before.
    expect(store.commits).toBe(10);
  });

  it('stores the replay once the conflicts stop before the deadline', async () => {
    const store = new AlwaysConflictingStore(100, true, 3);
    const input = requestOf(runtimeOn(store, { storeTimeout: 1_000 }), baseOf(), [setMine]);
    const result = await commitChanges(input);
    expect(result).toMatchObject({ outcome: 'stored' });
    if (result.outcome !== 'stored') return;
    expect(Object.fromEntries(result.stored.record.segments.get(SEGMENT)!.values)).toEqual({
      theirs: 3,
      mine: 'm',
    });
  });
});
