import type { SessionRecord } from '../core/session-record.js';
import type {
  CommitOutcome,
  MoveOutcome,
  SessionStore,
  StoredSession,
  StoreLookup,
} from '../core/session-store.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /**
   * Most keys held at once: sessions plus the short-lived markers `regenerateId()` leaves under
   * old ids. A positive integer; default 100 000.
   */
  maxSessions?: number;
  /**
   * Most bytes held at once, counted as the sum of the serialized sizes given to `commit` (the
   * process itself uses more: decoded objects and bookkeeping). A positive integer; default
   * 134 217 728 (128 MiB).
   */
  maxBytes?: number;
  /** The clock expiry is measured with, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** What this store can hold under a key: never `'corrupt'`, since it decodes nothing. */
export type MemoryLookup = Exclude<StoreLookup, 'corrupt'>;

const DEFAULT_MAX_SESSIONS = 100_000;
const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;

/**
 * Share of each bound the protected segment may fill: the rest is kept for sessions on
 * probation, so a newcomer can always get in and prove itself by a second request.
 */
const PROTECTED_SHARE = 0.8;

/** Entries of each segment the sweep examines per write. */
const SWEEP_STEP = 2;

/** What one key holds, and its place in a segment's recency list. */
class Entry {
  /** The neighbour used less recently (towards the head). */
  older: Entry | undefined = undefined;
  /** The neighbour used more recently (towards the tail). */
  newer: Entry | undefined = undefined;
  segment: Segment | undefined = undefined;

  constructor(
    readonly key: string,
    public held: StoredSession | 'moved',
    public expiresAt: number,
    public size: number,
  ) {}
}

/**
 * A recency list: least recently used at the head, most recently used at the tail, with the
 * count and bytes of its entries and the position of the expiry sweep.
 */
class Segment {
  head: Entry | undefined = undefined;
  tail: Entry | undefined = undefined;
  count = 0;
  bytes = 0;
  /** The next entry the sweep examines; `undefined` starts a new pass at the tail. */
  hand: Entry | undefined = undefined;

  /** Appends `entry` as the most recently used. */
  push(entry: Entry): void {
    entry.segment = this;
    entry.older = this.tail;
    entry.newer = undefined;
    if (this.tail) this.tail.newer = entry;
    else this.head = entry;
    this.tail = entry;
    this.count += 1;
    this.bytes += entry.size;
  }

  unlink(entry: Entry): void {
    if (this.hand === entry) this.hand = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.head = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.tail = entry.older;
    entry.older = entry.newer = entry.segment = undefined;
    this.count -= 1;
    this.bytes -= entry.size;
  }
}

/**
 * The built-in store: decoded records in this process's memory, never serialized, every call
 * answered synchronously. A commit is atomic because nothing else runs between its compare and
 * its set; across processes nothing is shared, so it is only as atomic as one process is.
 *
 * Records are held as given and never mutated; the caller must not mutate one after committing
 * it. A version is a number from a per-store counter, not the record itself: a record committed
 * again after its key was deleted or replaced still gets a new version, so a request holding the
 * old one cannot overwrite what came in between.
 *
 * Memory is bounded by a count of keys and by the sum of the committed sizes. Eviction is
 * scan-resistant (a segmented LRU): a session used in one request only (created, never loaded
 * again) is on probation and is evicted before any session used in two or more (protected). A
 * flood of one-shot sessions, such as anonymous visitors of a page that renders a CSRF token,
 * therefore only ever evicts other one-shot sessions.
 */
export class MemorySessionStore implements SessionStore {
  /** One process, one map: nothing interleaves a compare and its set. */
  readonly atomic = true;

  readonly #maxSessions: number;
  readonly #maxBytes: number;
  readonly #protectedMaxSessions: number;
  readonly #protectedMaxBytes: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #probation = new Segment();
  readonly #protected = new Segment();
  #lastVersion = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxSessions = positiveInteger('maxSessions', options.maxSessions, DEFAULT_MAX_SESSIONS);
    this.#maxBytes = positiveInteger('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES);
    this.#protectedMaxSessions = Math.floor(this.#maxSessions * PROTECTED_SHARE);
    this.#protectedMaxBytes = Math.floor(this.#maxBytes * PROTECTED_SHARE);
    // Read through the global on each call, so a clock the app fakes (tests) applies here too.
    const now = options.now ?? (() => Date.now());
    if (typeof now !== 'function') {
      throw new TypeError('MemorySessionStore: now must be a function returning epoch ms');
    }
    this.#now = now;
  }

  /** How many keys are held: live or expired sessions and moved markers not yet swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The sum of the sizes committed for the sessions held. */
  get bytes(): number {
    return this.#probation.bytes + this.#protected.bytes;
  }

  /** What is stored under `key`; a live session found counts as a use of it. */
  load(key: string): MemoryLookup {
    const entry = this.#live(key, this.#now());
    if (entry === undefined || entry.held === 'moved') return entry?.held;
    entry.segment!.unlink(entry);
    this.#use(entry);
    return entry.held;
  }

  /**
   * Stores `record` under `key` for `ttl` ms if what is stored has version `expected`
   * (`undefined`: only if nothing live is stored; a moved marker is a conflict). Throws a
   * `RangeError` for a `ttl` that is not positive or a `size` that is negative or over `maxBytes`.
   */
  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
    size: number,
  ): CommitOutcome {
    checkTtl(ttl);
    if (!(size >= 0 && size <= this.#maxBytes)) {
      throw new RangeError(
        `MemorySessionStore: a session of ${size} bytes cannot be stored within maxBytes ${this.#maxBytes}`,
      );
    }
    const now = this.#now();
    this.#sweep(now);
    const entry = this.#live(key, now);
    const current = entry?.held;
    if (current === 'moved') return { committed: false, current };
    if (current === undefined ? expected !== undefined : current.version !== expected) {
      return { committed: false, current };
    }
    const version = ++this.#lastVersion;
    const held: StoredSession = { record, version, size };
    if (entry === undefined) {
      this.#makeRoom(size);
      const created = new Entry(key, held, now + ttl, size);
      this.#entries.set(key, created);
      this.#probation.push(created);
    } else {
      entry.segment!.unlink(entry);
      this.#makeRoom(size);
      entry.held = held;
      entry.expiresAt = now + ttl;
      entry.size = size;
      this.#use(entry);
    }
    return { committed: true, version };
  }

  /**
   * Replaces the session under `key` with the moved marker for `ttl` ms if it still has version
   * `expected`; otherwise changes nothing and hands back what is stored.
   */
  move(key: string, expected: unknown, ttl: number): MoveOutcome {
    checkTtl(ttl);
    const now = this.#now();
    this.#sweep(now);
    const entry = this.#live(key, now);
    if (entry === undefined || typeof entry.held !== 'object' || entry.held.version !== expected) {
      return { moved: false, current: entry?.held };
    }
    // A marker is no session in use: it waits on probation, and holds no bytes.
    entry.segment!.unlink(entry);
    entry.held = 'moved';
    entry.expiresAt = now + ttl;
    entry.size = 0;
    this.#probation.push(entry);
    return { moved: true };
  }

  /** Removes whatever is stored under `key`. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry) this.#drop(entry);
  }

  /** The entry under `key` unless it has expired; an expired one is dropped on the way. */
  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || now < entry.expiresAt) return entry;
    this.#drop(entry);
    return undefined;
  }

  /**
   * Appends an unlinked entry to the tail of the protected segment, since this is at least its
   * second use, making room there by demoting the least recently used protected sessions to
   * probation. A session too large for the protected share alone stays on probation.
   */
  #use(entry: Entry): void {
    const guarded = this.#protected;
    if (entry.size > this.#protectedMaxBytes || this.#protectedMaxSessions === 0) {
      this.#probation.push(entry);
      return;
    }
    guarded.push(entry);
    while (guarded.count > this.#protectedMaxSessions || guarded.bytes > this.#protectedMaxBytes) {
      const demoted = guarded.head!;
      guarded.unlink(demoted);
      this.#probation.push(demoted);
    }
  }

  /**
   * Evicts least recently used entries until one more of `size` bytes fits, probation first:
   * a protected session goes only when probation is empty, which the protected share keeps
   * rare. An entry being replaced is unlinked first, so it is never its own victim.
   */
  #makeRoom(size: number): void {
    const probation = this.#probation;
    const guarded = this.#protected;
    while (
      probation.count + guarded.count >= this.#maxSessions ||
      probation.bytes + guarded.bytes + size > this.#maxBytes
    ) {
      this.#drop((probation.head ?? guarded.head)!);
    }
  }

  #drop(entry: Entry): void {
    entry.segment?.unlink(entry);
    this.#entries.delete(entry.key);
  }

  /**
   * Why a sweep, and why this one: an expired session nobody asks for again would otherwise hold
   * its memory until eviction reaches it, which never happens while the store is under its
   * bounds. A timer would add work outside requests; instead every write examines a few entries
   * of each segment, walking from the tail (most recent) towards the head, and drops the expired
   * ones. Walking against the direction entries are appended, a pass never meets an entry
   * appended during it, so each pass ends after at most as many steps as the segment held when
   * it began, and an expired entry is gone within two passes: a bounded, amortized O(1) cost.
   */
  #sweep(now: number): void {
    this.#sweepSegment(this.#probation, now);
    this.#sweepSegment(this.#protected, now);
  }

  #sweepSegment(segment: Segment, now: number): void {
    for (let step = 0; step < SWEEP_STEP; step += 1) {
      const entry = segment.hand ?? segment.tail;
      if (entry === undefined) return;
      segment.hand = entry.older;
      if (now >= entry.expiresAt) this.#drop(entry);
    }
  }
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`MemorySessionStore: ${option} must be a positive integer`);
  }
  return value;
}

function checkTtl(ttl: number): void {
  if (!(ttl > 0)) {
    throw new RangeError(`MemorySessionStore: ttl must be a positive number of ms, got ${ttl}`);
  }
}
