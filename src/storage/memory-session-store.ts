import { SessionTooLargeError } from '../core/errors.js';
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
   * Most sessions held at once. The short-lived markers `regenerateId()` leaves under old ids are
   * held apart from them, at most as many again. A positive integer; default 100 000.
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
/**
 * How many evictions are remembered (see `#evicted`): a login writes its user's index, then its
 * session under the new id, then moves the old id, and each of the first two may evict.
 */
const EVICTIONS_REMEMBERED = 8;

/** Entries of each segment, and moved markers, the sweep examines per write. */
const SWEEP_STEP = 2;

/** The segment a `SessionTooLargeError` of this store names: it refuses a whole record. */
const MEMORY_STORE_SEGMENT = '(memory store)';

/** A session's key, and its place in a segment's recency list. */
class Entry {
  /** The neighbour used less recently (towards the head). */
  older: Entry | undefined = undefined;
  /** The neighbour used more recently (towards the tail). */
  newer: Entry | undefined = undefined;
  segment: Segment | undefined = undefined;

  constructor(
    readonly key: string,
    public held: StoredSession,
    public expiresAt: number,
    public size: number,
  ) {}
}

/** A live session the last commit evicted: what a move of its key must find to take it. */
interface Evicted {
  readonly version: unknown;
  readonly expiresAt: number;
  readonly createdAt: number;
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
 * Memory is bounded by a count of sessions and by the sum of the committed sizes. Eviction is
 * scan-resistant (a segmented LRU): a session used in one request only (created, never loaded
 * again) is on probation and is evicted before any session used in two or more (protected). A
 * flood of one-shot sessions, such as anonymous visitors of a page that renders a CSRF token,
 * therefore only ever evicts other one-shot sessions.
 *
 * `regenerateId()` writes the session under its new key, then moves the old key. The pair keeps
 * what the session was: the new key takes the old one's place among the sessions in use, the
 * moved marker is held apart from the sessions (no flood of sessions evicts it before its time),
 * and an old key that the new key's own write evicted to make room can still be moved. Likewise
 * a commit for the version of a session evicted since it was read (by the user's index written
 * just before it, say) stores it again.
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
  /**
   * Moved markers, each with the epoch ms it expires at, oldest first. They take no bytes and
   * are never evicted for a session; past `maxSessions` of them, the oldest goes.
   */
  readonly #markers = new Map<string, number>();
  /**
   * The live sessions most recently evicted to make room, oldest first: a commit or a move that
   * follows, of the version evicted, still finds its session (see {@link commit}).
   */
  readonly #evicted = new Map<string, Evicted>();
  /** The entry the last commit created, if that was its last write. */
  #created: Entry | undefined = undefined;
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

  /** How many sessions are held, live or expired and not yet swept; moved markers not counted. */
  get size(): number {
    return this.#entries.size;
  }

  /** The sum of the sizes committed for the sessions held. */
  get bytes(): number {
    return this.#probation.bytes + this.#protected.bytes;
  }

  /** What is stored under `key`; a live session found counts as a use of it. */
  load(key: string): MemoryLookup {
    const now = this.#now();
    if (this.#isMoved(key, now)) return 'moved';
    const entry = this.#live(key, now);
    if (entry === undefined) return undefined;
    entry.segment!.unlink(entry);
    this.#use(entry);
    return entry.held;
  }

  /**
   * Stores `record` under `key` for `ttl` ms if what is stored has version `expected`
   * (`undefined`: only if nothing live is stored; a moved marker is a conflict). Throws a
   * `RangeError` for a `ttl` that is not positive or a `size` that is not a number ≥ 0, and a
   * `SessionTooLargeError` (stored nothing) for a record that would be stored but is larger than
   * `maxBytes`.
   */
  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
    size: number,
  ): CommitOutcome {
    checkTtl(ttl);
    if (!(size >= 0)) {
      throw new RangeError(`MemorySessionStore: size must be a number of bytes, got ${size}`);
    }
    const now = this.#now();
    this.#sweep(now);
    this.#created = undefined;
    if (this.#isMoved(key, now)) return { committed: false, current: 'moved' };
    const entry = this.#live(key, now);
    const current = entry?.held;
    const revived = entry === undefined && this.#wasEvictedAt(key, expected, now);
    if (
      !revived &&
      (current === undefined ? expected !== undefined : current.version !== expected)
    ) {
      return { committed: false, current };
    }
    // Refused as the library refuses any session too large, so the request answers 413 instead
    // of sending its cookie for a session that was never stored.
    if (size > this.#maxBytes) {
      throw new SessionTooLargeError(
        MEMORY_STORE_SEGMENT,
        size,
        this.#maxBytes,
        `Session too large: the memory store cannot hold a record of ${size} bytes within its maxBytes ${this.#maxBytes} (memoryStoreMaxBytes)`,
      );
    }
    const version = ++this.#lastVersion;
    const held: StoredSession = { record, version, size };
    if (entry === undefined) {
      this.#makeRoom(size, now);
      const created = new Entry(key, held, now + ttl, size);
      this.#entries.set(key, created);
      if (revived) {
        this.#evicted.delete(key);
        // Loaded by the request committing it: in use, like any session loaded again.
        this.#use(created);
      } else {
        this.#probation.push(created);
        this.#created = created;
      }
    } else {
      entry.segment!.unlink(entry);
      this.#makeRoom(size, now);
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
   *
   * `regenerateId()` calls it right after writing the new key, with nothing in between (this
   * store answers synchronously). That write may have evicted this very session to make room,
   * when the store is nearly full: had the move come first, it would have found the session, so
   * a session the last commit evicted at version `expected` is moved too. One destroyed,
   * revoked, expired, or evicted earlier is not.
   */
  move(key: string, expected: unknown, ttl: number): MoveOutcome {
    checkTtl(ttl);
    const now = this.#now();
    this.#sweep(now);
    if (this.#isMoved(key, now)) return { moved: false, current: 'moved' };
    const entry = this.#live(key, now);
    let createdAt: number;
    if (entry !== undefined) {
      if (entry.held.version !== expected) return { moved: false, current: entry.held };
      createdAt = entry.held.record.createdAt;
      this.#drop(entry);
    } else {
      if (!this.#wasEvictedAt(key, expected, now)) return { moved: false, current: undefined };
      createdAt = this.#evicted.get(key)!.createdAt;
      this.#evicted.delete(key);
    }
    this.#mark(key, now + ttl);
    this.#handOver(createdAt);
    return { moved: true };
  }

  /** Removes whatever is stored under `key`. */
  delete(key: string): void {
    this.#markers.delete(key);
    this.#evicted.delete(key);
    const entry = this.#entries.get(key);
    if (entry) this.#drop(entry);
  }

  /** Whether a moved marker is live under `key`; an expired one is dropped on the way. */
  #isMoved(key: string, now: number): boolean {
    const expiresAt = this.#markers.get(key);
    if (expiresAt === undefined) return false;
    if (now < expiresAt) return true;
    this.#markers.delete(key);
    return false;
  }

  /**
   * Leaves the moved marker under `key`. Markers stay out of the sessions' segments: on
   * probation, a flood of one-request sessions would evict one within seconds, and a late request
   * of the old id would then find nothing and expire the browser's new cookie. Their own bound
   * only matters to more `regenerateId()` calls within a marker's minute than `maxSessions`.
   */
  #mark(key: string, expiresAt: number): void {
    const markers = this.#markers;
    markers.set(key, expiresAt);
    if (markers.size > this.#maxSessions) markers.delete(markers.keys().next().value!);
  }

  /**
   * Gives the session the last commit created the place of the one just moved, whose new key it
   * is: written as a new key, it would otherwise start on probation, and a flood of one-request
   * sessions would evict a user who has just signed in. A moved session was loaded by the request
   * that moved it, so this is at least its second use. The record's creation time, which a
   * `regenerateId()` keeps, tells that the two are one session.
   */
  #handOver(createdAt: number): void {
    const created = this.#created;
    this.#created = undefined;
    if (
      created === undefined ||
      created.segment !== this.#probation ||
      created.held.record.createdAt !== createdAt
    ) {
      return;
    }
    this.#probation.unlink(created);
    this.#use(created);
  }

  /**
   * Whether the session under `key` was evicted at version `expected`, and would be live now.
   * Versions are never reused, so nothing was written under `key` since: a commit or a move made
   * for that version would have found the session had it come before the eviction. That is how a
   * login survives a store too small for the session and its user's index, written just before
   * it; and a request in flight when its session was evicted keeps its write.
   */
  #wasEvictedAt(key: string, expected: unknown, now: number): boolean {
    if (this.#evicted.size === 0 || expected === undefined) return false;
    const evicted = this.#evicted.get(key);
    return evicted !== undefined && evicted.version === expected && now < evicted.expiresAt;
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
   * rare. An entry being replaced is unlinked first, so it is never its own victim. The live
   * sessions evicted are remembered for a commit or a move that follows.
   */
  #makeRoom(size: number, now: number): void {
    const probation = this.#probation;
    const guarded = this.#protected;
    while (
      probation.count + guarded.count >= this.#maxSessions ||
      probation.bytes + guarded.bytes + size > this.#maxBytes
    ) {
      const victim = (probation.head ?? guarded.head)!;
      if (now < victim.expiresAt) this.#remember(victim);
      this.#drop(victim);
    }
  }

  #remember(victim: Entry): void {
    const evicted = this.#evicted;
    const { version, record } = victim.held;
    evicted.delete(victim.key);
    evicted.set(victim.key, { version, expiresAt: victim.expiresAt, createdAt: record.createdAt });
    if (evicted.size > EVICTIONS_REMEMBERED) evicted.delete(evicted.keys().next().value!);
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
   * Markers all live for the minute `regenerateId()` gives them, so the oldest expire first:
   * their sweep drops expired ones from the oldest on.
   */
  #sweep(now: number): void {
    this.#sweepSegment(this.#probation, now);
    this.#sweepSegment(this.#protected, now);
    // Most stores hold no marker: every commit would otherwise build an iterator for nothing.
    if (this.#markers.size === 0) return;
    let step = 0;
    for (const [key, expiresAt] of this.#markers) {
      if (step === SWEEP_STEP || now < expiresAt) break;
      this.#markers.delete(key);
      step += 1;
    }
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
