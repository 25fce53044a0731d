import { hash } from 'node:crypto';
import { KeyedQueue } from './keyed-queue.js';
import { isExpired } from './session-expiry.js';
import { segmentState, serializeRecord, type SessionRecord } from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';
import type { StoredSession, StoreLookup } from './session-store.js';
import { retryBefore, settle } from './store-call.js';

/**
 * The index of one user's sessions: a record kept through the same store as the sessions, under
 * a key made from a hash of the user id (a dump of the store names no user), so it gets the same
 * compare-and-set as a session. Its `sessions` segment maps each session's handle to an
 * {@link IndexEntry}; its `index` segment holds `until`, the time it is kept until.
 *
 * Order of writes: a session's entry is written before the session itself is stored under a new
 * key (first binding, `regenerateId()`), so a revocation that reads the index always finds every
 * key the session lives under or is about to: a key that is still empty is taken first with a
 * tombstone, and the session's commit then fails against it.
 */

/** @internal One session in its user's index. */
export interface IndexEntry {
  /** The store key the session lives under, or is about to (its commit follows this write). */
  key: string;
  /** The key it lived under before a `regenerateId()` that may still be under way. */
  previous?: string;
  /**
   * Keys of other `regenerateId()`s of the same session from the same `previous`, written to the
   * index before this one (a login form submitted twice): the session moves under one of them, or
   * under `key`, and which is known only once a move lands, so a list or a revocation reads them
   * all. Dropped at the session's next index write.
   */
  racing?: string[];
  /** Epoch ms of this entry's last write: a key still empty soon after is a commit on its way. */
  at: number;
  /** Epoch ms the session was created. */
  createdAt: number;
  /**
   * When the session was bound, as the order of the index writes that added entries: one more
   * than the highest of the entries that write found. Compare-and-set lets a write land only on
   * the index as its change saw it, so of two logins the one written later always has the higher
   * number, whatever the clocks of their instances say. Absent in entries of older versions.
   */
  seq?: number;
  userAgent?: string;
}

/** @internal A user's index as read, with the version to compare-and-set against. */
export interface UserIndex {
  readonly key: string;
  readonly version: unknown;
  readonly entries: Map<string, IndexEntry>;
  /** Epoch ms the index is kept until; 0 for an index not stored. */
  readonly until: number;
  readonly createdAt: number;
}

/** @internal A live session of a user, as {@link listSessions} finds it. */
export interface LiveSession {
  handle: string;
  createdAt: number;
  lastSeen: number;
  /** Epoch ms its index entry was last written: when it was bound, for a recent binding. */
  boundAt: number;
  /** Its entry's {@link IndexEntry.seq}; 0 for an entry that has none. */
  seq: number;
  userAgent?: string;
}

/** Longest user id accepted, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 256;
/** Longest user agent kept in an index entry. */
const MAX_USER_AGENT_LENGTH = 512;
const SESSIONS = 'sessions';
const META = 'index';
const HANDLE = /^[A-Za-z0-9_-]{22}$/;
// With the u flag a surrogate pair is one code point: only a lone surrogate matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Throws a `TypeError` unless `userId` is a non-empty, well-formed string of at most 256
 * characters.
 */
export function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new TypeError('A user id must be a non-empty string');
  }
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new TypeError(
      `A user id must be at most ${MAX_USER_ID_LENGTH} UTF-16 code units long (its length)`,
    );
  }
  // A lone surrogate becomes U+FFFD in UTF-8, where the index key is drawn from: two such ids
  // would share one user's index.
  if (LONE_SURROGATE.test(userId)) {
    throw new TypeError('A user id must be well-formed Unicode (no lone surrogates)');
  }
}

/** Whether `value` has the shape of a handle this library draws. */
export function isWellFormedHandle(value: string): boolean {
  return HANDLE.test(value);
}

/**
 * A new handle: 16 bytes hashed from fresh random bytes, in base64url. Not derived from the
 * session id or its key, so an owner who sees it (or a page that shows it) learns neither.
 */
export function newHandle(runtime: SessionRuntime): string {
  return hash('sha256', runtime.config.randval.generate(), 'buffer')
    .subarray(0, 16)
    .toString('base64url');
}

/** The store key of `userId`'s index: a hash of the id, like a session's key. */
export function indexKeyFor(prefix: string, userId: string): string {
  return `${prefix}user:${hash('sha256', userId, 'base64url')}`;
}

/** A user agent as an index entry keeps it: bounded, since it comes from the client. */
export function userAgentOf(header: string | undefined): string | undefined {
  return header === undefined || header === '' ? undefined : header.slice(0, MAX_USER_AGENT_LENGTH);
}

/**
 * How long an index is kept from a write that pushes it: twice the idle timeout, so a session
 * kept alive by its requests pushes it about once per idle timeout, and never outlives it.
 */
function indexLifetime(runtime: SessionRuntime): number {
  return 2 * runtime.config.idleTimeout;
}

/** The {@link IndexEntry.seq} of an entry added to `entries` now. */
export function nextSeq(entries: Map<string, IndexEntry>): number {
  let highest = 0;
  for (const entry of entries.values()) highest = Math.max(highest, entry.seq ?? 0);
  return highest + 1;
}

/** Whether a bound session that will live until `expiresAt` must push its index first. */
export function needsIndexPush(indexUntil: number, expiresAt: number): boolean {
  return expiresAt > indexUntil;
}

/**
 * How long after its entry was written an empty key counts as a commit on its way rather than a
 * dead session: the commit follows within the request's `storeTimeout`, plus a minute of clock
 * difference between instances.
 */
function pendingWindow(runtime: SessionRuntime): number {
  return runtime.config.storeTimeout + 60_000;
}

/** What the store holds as `userId`'s index. */
export async function loadIndex(
  runtime: SessionRuntime,
  userId: string,
  deadline: number,
): Promise<UserIndex> {
  const key = indexKeyFor(runtime.config.keyPrefix, userId);
  for (;;) {
    const found = await settle(runtime.store.load(key), 'load', deadline);
    if (found === undefined) {
      return { key, version: undefined, entries: new Map(), until: 0, createdAt: Date.now() };
    }
    if (typeof found === 'object' && !found.record.revoked) return indexOf(key, found);
    // Bytes this library cannot read as an index (or a key of another Redis type): start it
    // over rather than fail every login. The key is left out of the log: it is a hash of the user
    // id, and a hash of a guessable id (a number, an e-mail address) names the user.
    runtime.logger.warn(
      "Unreadable index of a user's sessions (data this library did not write): started over",
    );
    await settle(runtime.store.delete(key), 'delete', deadline);
  }
}

/**
 * Changes `userId`'s index with compare-and-set, re-reading and re-applying `change` on conflict.
 * `change` returns whether it changed the entries; with `push`, the index is kept for at least
 * {@link indexLifetime} from now. Returns the time the index is kept until.
 */
export function updateIndex(
  runtime: SessionRuntime,
  userId: string,
  deadline: number,
  change: (entries: Map<string, IndexEntry>) => boolean,
  push: boolean,
): Promise<number> {
  if (runtime.store.atomic) return changeIndex(runtime, userId, deadline, change, push);
  // A store without compare-and-set across processes writes a new key without comparing: two
  // first bindings of one user would each create the index, and the second erase the first.
  // Within this process, they take turns.
  let queue = indexQueues.get(runtime);
  if (queue === undefined) {
    queue = new KeyedQueue();
    indexQueues.set(runtime, queue);
  }
  return queue.run(userId, () => changeIndex(runtime, userId, deadline, change, push));
}

const indexQueues = new WeakMap<SessionRuntime, KeyedQueue>();

async function changeIndex(
  runtime: SessionRuntime,
  userId: string,
  deadline: number,
  change: (entries: Map<string, IndexEntry>) => boolean,
  push: boolean,
): Promise<number> {
  for (;;) {
    const index = await loadIndex(runtime, userId, deadline);
    const changed = change(index.entries);
    const now = Date.now();
    const until = push ? Math.max(index.until, now + indexLifetime(runtime)) : index.until;
    if (!changed && until === index.until) return until;
    if (await writeIndex(runtime, index, until, deadline)) return until;
    retryBefore(deadline);
  }
}

/**
 * Stores `index` (its entries as changed) if nobody wrote it since it was read; `false` on a
 * conflict. An index past its time is not written back: nothing it lists is alive.
 */
async function writeIndex(
  runtime: SessionRuntime,
  index: UserIndex,
  until: number,
  deadline: number,
): Promise<boolean> {
  const ttl = until - Date.now();
  if (ttl <= 0) return true;
  const record = indexRecord(index, until);
  const size = Buffer.byteLength(serializeRecord(record));
  const outcome = await settle(
    runtime.store.commit(index.key, index.version, record, ttl, size),
    'commit',
    deadline,
  );
  return outcome.committed;
}

/**
 * Signs out the sessions `pick` chooses from `userId`'s index: a tombstone goes under every key
 * each one lives under (or is about to), then the entries leave the index; when the index
 * changed meanwhile (a `regenerateId()` moved a session), all of it is done again with the new
 * keys. Returns the handles of the sessions that were alive (or on their way) and are now gone.
 */
export async function revokeSessions(
  runtime: SessionRuntime,
  userId: string,
  pick: (entries: Map<string, IndexEntry>) => string[],
  deadline: number,
): Promise<Set<string>> {
  const revoked = new Set<string>();
  for (;;) {
    const index = await loadIndex(runtime, userId, deadline);
    const handles = pick(index.entries);
    if (handles.length === 0) return revoked;
    await Promise.all(
      handles.map(async (handle) => {
        const entry = index.entries.get(handle)!;
        const states = await Promise.all([
          tombstone(runtime, entry.key, handle, entry.at, deadline),
          entry.previous === undefined
            ? 'dead'
            : tombstone(runtime, entry.previous, handle, undefined, deadline),
          ...(entry.racing ?? []).map((key) => tombstone(runtime, key, handle, entry.at, deadline)),
        ]);
        if (states.includes('revoked')) revoked.add(handle);
      }),
    );
    for (const handle of handles) index.entries.delete(handle);
    if (await writeIndex(runtime, index, index.until, deadline)) return revoked;
    retryBefore(deadline);
  }
}

/**
 * The live sessions in `userId`'s index, most recently seen first, each read from its own key (so
 * `lastSeen` is the session's, as its throttled touch keeps it). Entries whose session is gone
 * leave the index (best effort: skipped when another write got there first). With
 * `withPending`, sessions whose first commit is still on its way are listed too, as last seen
 * when their entry was written.
 */
export async function listSessions(
  runtime: SessionRuntime,
  userId: string,
  deadline: number,
  withPending = false,
): Promise<LiveSession[]> {
  const index = await loadIndex(runtime, userId, deadline);
  const now = Date.now();
  const dead: string[] = [];
  const live: LiveSession[] = [];
  await Promise.all(
    [...index.entries].map(async ([handle, entry]) => {
      const state = await sessionState(runtime, handle, entry, now, deadline);
      if (state === 'dead') dead.push(handle);
      else if (state !== 'pending' || withPending) {
        const seen =
          state === 'pending' ? { createdAt: entry.createdAt, lastSeen: entry.at } : state;
        const session: LiveSession = {
          handle,
          createdAt: seen.createdAt,
          lastSeen: seen.lastSeen,
          boundAt: entry.at,
          seq: entry.seq ?? 0,
        };
        if (entry.userAgent !== undefined) session.userAgent = entry.userAgent;
        live.push(session);
      }
    }),
  );
  if (dead.length > 0) {
    for (const handle of dead) index.entries.delete(handle);
    await writeIndex(runtime, index, index.until, deadline);
  }
  return live.sort((a, b) => b.lastSeen - a.lastSeen || b.createdAt - a.createdAt);
}

/** The session an entry names: its record, `'pending'` while its first commit is on its way, or `'dead'`. */
async function sessionState(
  runtime: SessionRuntime,
  handle: string,
  entry: IndexEntry,
  now: number,
  deadline: number,
): Promise<SessionRecord | 'pending' | 'dead'> {
  const atKey = await load(runtime, entry.key, deadline);
  const found = liveFor(runtime, atKey, handle, now);
  if (found !== undefined) return found.record;
  if (entry.previous !== undefined) {
    const before = liveFor(runtime, await load(runtime, entry.previous, deadline), handle, now);
    if (before !== undefined) return before.record;
  }
  for (const key of entry.racing ?? []) {
    const moved = liveFor(runtime, await load(runtime, key, deadline), handle, now);
    if (moved !== undefined) return moved.record;
  }
  // Moved away: a newer entry is already in the index (it is written first), so this read is stale.
  if (atKey === 'moved') return 'pending';
  return atKey === undefined && now - entry.at < pendingWindow(runtime) ? 'pending' : 'dead';
}

/**
 * Puts a tombstone under `key` if the session `handle` lives there, or, when the key is still
 * empty within `pendingSince`'s window, before its commit lands. `'moved'`: the session moved on.
 */
async function tombstone(
  runtime: SessionRuntime,
  key: string,
  handle: string,
  pendingSince: number | undefined,
  deadline: number,
): Promise<'revoked' | 'moved' | 'dead'> {
  for (;;) {
    const now = Date.now();
    const found = await load(runtime, key, deadline);
    if (found === 'moved') return 'moved';
    // Bytes this library cannot read (a key of another Redis type, too) hold no session to sign
    // out, and a compare-and-set expecting nothing would fail against them until the deadline.
    if (found === 'corrupt') return 'dead';
    let expected: unknown;
    if (typeof found === 'object') {
      if (liveFor(runtime, found, handle, now) === undefined) return 'dead';
      expected = found.version;
    } else if (pendingSince !== undefined && now - pendingSince < pendingWindow(runtime)) {
      expected = undefined;
    } else {
      return 'dead';
    }
    const record: SessionRecord = {
      createdAt: now,
      lastSeen: now,
      revoked: true,
      segments: new Map(),
    };
    const size = Buffer.byteLength(serializeRecord(record));
    const outcome = await settle(
      runtime.store.commit(key, expected, record, runtime.config.idleTimeout, size),
      'commit',
      deadline,
    );
    if (outcome.committed) return 'revoked';
    retryBefore(deadline);
  }
}

function load(runtime: SessionRuntime, key: string, deadline: number): Promise<StoreLookup> {
  return Promise.resolve(settle(runtime.store.load(key), 'load', deadline));
}

/** `found` if it is the live, unexpired session bound with `handle`. */
function liveFor(
  runtime: SessionRuntime,
  found: StoreLookup,
  handle: string,
  now: number,
): StoredSession | undefined {
  if (typeof found !== 'object' || found.record.revoked) return undefined;
  if (found.record.user?.handle !== handle) return undefined;
  return isExpired(runtime.config, found.record, now) ? undefined : found;
}

function indexOf(key: string, found: StoredSession): UserIndex {
  const entries = new Map<string, IndexEntry>();
  for (const [handle, value] of found.record.segments.get(SESSIONS)?.values ?? []) {
    const entry = entryOf(value);
    if (entry) entries.set(handle, entry);
  }
  const until = found.record.segments.get(META)?.values.get('until');
  return {
    key,
    version: found.version,
    entries,
    until: typeof until === 'number' ? until : 0,
    createdAt: found.record.createdAt,
  };
}

function indexRecord(index: UserIndex, until: number): SessionRecord {
  const values = new Map<string, unknown>();
  for (const [handle, entry] of index.entries) values.set(handle, { ...entry });
  return {
    createdAt: index.createdAt,
    lastSeen: Date.now(),
    segments: new Map([
      [SESSIONS, segmentState(values)],
      [META, segmentState(new Map([['until', until]]))],
    ]),
  };
}

function entryOf(value: unknown): IndexEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, previous, racing, at, createdAt, seq, userAgent } = value as Record<string, unknown>;
  if (typeof key !== 'string' || typeof at !== 'number' || typeof createdAt !== 'number') {
    return undefined;
  }
  const entry: IndexEntry = { key, at, createdAt };
  if (typeof previous === 'string') entry.previous = previous;
  if (Array.isArray(racing) && racing.every((k) => typeof k === 'string')) {
    entry.racing = racing as string[];
  }
  if (typeof seq === 'number') entry.seq = seq;
  if (typeof userAgent === 'string') entry.userAgent = userAgent;
  return entry;
}

/**
 * After a new binding: prunes `userId`'s index of dead sessions and, past `maxSessionsPerUser`,
 * signs out the least recently seen of the sessions bound before `keep`, including those whose
 * first commit is still on its way (a login that raced this one: its commit then fails against
 * the tombstone).
 */
export async function enforceSessionLimit(
  runtime: SessionRuntime,
  userId: string,
  keep: string,
  deadline: number,
): Promise<void> {
  const live = await listSessions(runtime, userId, deadline, true);
  const max = runtime.config.maxSessionsPerUser;
  if (max === undefined || live.length <= max) return;
  // Logins of one user that race must agree on who stays, or each signs out the others and the
  // user is left with none: a login spares the sessions bound after its own (in the order their
  // entries were written; for entries without that order, by binding time, then handle), whose
  // own logins sign out this one if the limit says so. The last one written sees every other.
  const own = live.find((session) => session.handle === keep);
  const boundLater = (session: LiveSession) =>
    own !== undefined &&
    (session.seq !== own.seq
      ? session.seq > own.seq
      : session.boundAt > own.boundAt ||
        (session.boundAt === own.boundAt && session.handle > own.handle));
  const others = live.filter((session) => session.handle !== keep);
  const later = others.filter(boundLater).length;
  const victims = others
    .filter((session) => !boundLater(session))
    .slice(Math.max(0, max - 1 - later))
    .map((session) => session.handle);
  await revokeSessions(runtime, userId, (e) => victims.filter((h) => e.has(h)), deadline);
}
