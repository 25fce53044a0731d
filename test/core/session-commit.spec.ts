import { jest } from '@jest/globals';
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
  SessionStore,
  StoredSession,
  StoreLookup,
} from '../../src/core/session-store.js';
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
    store.move(KEY, MOVED_TTL);
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
    store.move(KEY, MOVED_TTL);
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

  move(): StoreLookup {
    return undefined;
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
