import type { ChangeLog } from './change-log.js';
import { applyChange, type SessionChange } from './session-change.js';
import { then } from './maybe-promise.js';
import { isExpired, ttlOf } from './session-expiry.js';
import { copyRecord, newRecord, type SessionRecord } from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';
import {
  describeKey,
  type CommitOutcome,
  type MaybePromise,
  type MoveOutcome,
  type StoreLookup,
  type StoredSession,
} from './session-store.js';
import { retryBefore, settle } from './store-call.js';

/** How long the marker a `regenerateId()` leaves under the old id outlives it. */
export const MOVED_TTL = 60_000;

/** What became of a commit: stored, or the session is gone (destroyed, expired) or moved away. */
export type CommitResult =
  { outcome: 'stored'; stored: StoredSession } | { outcome: 'gone' | 'moved' };

/** What one commit works with. */
export interface CommitInput {
  runtime: SessionRuntime;
  now: number;
  /** When the request's wait for the store runs out (epoch ms). */
  deadline: number;
  /** What the request read or last wrote; `undefined` for a session new in this request. */
  base: StoredSession | undefined;
  /** The store key `base` lives under. */
  baseKey: string | undefined;
  /** The key to write: the new id's after `regenerateId()`. */
  key: string;
  /** Whether the session moves from `baseKey` to `key` (`regenerateId()`). */
  moving: boolean;
  /** The request's own copy with `changes` applied, when it may be written as it is. */
  candidate: SessionRecord | undefined;
  /** The request's copy of a new session, `changes` applied. */
  fresh: SessionRecord | undefined;
  changes: SessionChange[];
  log: ChangeLog;
}

/**
 * Writes the request's changes with compare-and-set: the request's own copy when nobody wrote
 * since it read the session, else its changes replayed onto what is stored now, until a write
 * lands or the session turns out gone. The session is never written back once destroyed,
 * expired or moved: a compare-and-set against a missing key fails.
 *
 * After `regenerateId()` the new key is written first and the old key is taken last, with a
 * compare-and-move: until that last step lands, the old session and the browser's cookie are
 * untouched, so a commit refused for its size or cut short by `storeTimeout` before that step
 * stores none of this request's changes and signs nobody out (at worst a key no browser knows is
 * left to expire). A last step that times out but still runs once the store answers again is
 * undone when its answer arrives (see {@link undoLateMove}).
 */
export function commitChanges(input: CommitInput): MaybePromise<CommitResult> {
  const { log, changes, base } = input;
  if (base === undefined) {
    // The request's copy lacks the flash values keepFlash() keeps: every part of a new session
    // was logged, so replaying the log onto an empty record rebuilds it with them.
    const fresh = log.keepsFlash
      ? replayed(newRecord(input.fresh!.createdAt), changes)
      : input.fresh!;
    return attempt(input, fresh, undefined, log.sizeBound);
  }
  // Past its timeout since the request read it: a store may still hold it unchanged (a TTL
  // changed by hand, a store whose clock runs behind this one), and a compare-and-set against it
  // would succeed and revive it.
  if (isExpired(input.runtime.config, base.record, input.now)) return { outcome: 'gone' };
  const own = input.candidate ?? replayed(base.record, changes);
  // Replayed onto the stored record, the session holds again the flash values keepFlash() keeps,
  // which the request's copy, and so its size bound, lost when they were read: measured here,
  // they count toward maxSize as they will once stored.
  const size = log.keepsFlash ? log.assertMergedWithinLimit(own, changes) : log.sizeBound;
  if (!input.moving) return attempt(input, own, base.version, size);
  return moveOnto(input, own, undefined, size, base);
}

// The steps below take the commit's input rather than closing over it: every write to a session
// runs a commit, and closures made per commit were most of what one allocates.

/**
 * Stores `record`, built from `from` (the old key's session), under the new key over `expected`
 * (what this request wrote there, `undefined` at first), then moves the old key if it still
 * holds `from`. When another commit of the old id landed in between, its state is carried over:
 * this request's changes are replayed onto it, the new key is written again and the move retried.
 */
function moveOnto(
  input: CommitInput,
  record: SessionRecord,
  expected: unknown,
  size: number,
  from: StoredSession,
): MaybePromise<CommitResult> {
  const { runtime, deadline, log, changes } = input;
  return then(write(input, record, expected, size), (outcome): MaybePromise<CommitResult> => {
    // No browser holds the new id yet: only a revocation's tombstone can stand in the way.
    if (!outcome.committed) return { outcome: 'gone' };
    const moving = runtime.store.move(input.baseKey!, from.version, MOVED_TTL);
    const moved = settle(moving, 'move', deadline);
    if (moved instanceof Promise) {
      // A graceful shutdown waits for the undo (it never rejects: its failures are logged).
      moved.catch(() =>
        runtime.lateWork.add(undoLateMove(input, moving as Promise<MoveOutcome>, from)),
      );
    }
    // As in `attempted()`: the first retry after a synchronous store is not bounded; `expected`
    // is what an earlier attempt of this request wrote under the new key, so this is a retry.
    const bounded = moved instanceof Promise || expected !== undefined;
    return then(moved, (result): MaybePromise<CommitResult> => {
      if (result.moved) {
        return { outcome: 'stored', stored: { record, version: outcome.version, size } };
      }
      const current = live(input, result.current);
      if (typeof current === 'string') return dropNewKey(input, () => ({ outcome: current }));
      let merged: SessionRecord;
      let mergedSize: number;
      try {
        if (bounded) retryBefore(deadline);
        merged = replayed(current.record, changes);
        mergedSize = log.assertMergedWithinLimit(merged, changes);
      } catch (error) {
        return dropNewKey(input, () => {
          throw error;
        });
      }
      return moveOnto(input, merged, outcome.version, mergedSize, current);
    });
  });
}

/**
 * A move that the request gave up on (`storeTimeout`, answered 503 without the new cookie) may
 * still run once a stalled store answers: the browser's cookie would then name the moved marker,
 * and its user would be signed out. So once such a move lands, the old session is put back over
 * its marker and the new key, which no browser holds, is removed. Best effort: a graceful shutdown
 * waits for it (up to `storeTimeout`), but a process that stops before then without one, or a
 * store that fails the undo, leaves the move done (logged).
 */
async function undoLateMove(
  input: CommitInput,
  moving: Promise<MoveOutcome>,
  from: StoredSession,
): Promise<void> {
  const { runtime, baseKey, key } = input;
  let result: MoveOutcome;
  try {
    result = await moving;
  } catch {
    // The request already answered for a move that failed: nothing was moved.
    return;
  }
  if (!result.moved || result.marker === undefined) return;
  try {
    const ttl = ttlOf(runtime.config, from.record, Date.now());
    const undone = await runtime.store.commit(baseKey!, result.marker, from.record, ttl, from.size);
    if (!undone.committed) return;
    await runtime.store.delete(key);
    runtime.logger.warn(
      `A regenerateId() that ran after its request timed out was undone: ${describeKey(runtime.store, baseKey!)} holds the session again`,
    );
  } catch (error) {
    runtime.logger.warn(
      `A regenerateId() that ran after its request timed out could not be undone (${String(error)}): ` +
        `the session of ${describeKey(runtime.store, baseKey!)} stays moved, and its browser is signed out`,
    );
  }
}

/**
 * Removes what this request wrote under the new key, whose id no browser holds, then answers
 * `after()`. Best effort: a delete that fails leaves a key nobody can reach, which expires.
 */
function dropNewKey(
  input: CommitInput,
  after: () => MaybePromise<CommitResult>,
): MaybePromise<CommitResult> {
  let deleted: MaybePromise<void>;
  try {
    deleted = settle(input.runtime.store.delete(input.key), 'delete', input.deadline);
  } catch {
    return after();
  }
  return deleted instanceof Promise ? deleted.then(after, after) : after();
}

/** Compare-and-set of `record` over `expected`, merged onto what is stored and retried on a conflict. */
function attempt(
  input: CommitInput,
  record: SessionRecord,
  expected: unknown,
  size: number,
  bounded = false,
): MaybePromise<CommitResult> {
  const written = write(input, record, expected, size);
  // Synchronous stores (the memory store) answer at once: no callback is made for them.
  return written instanceof Promise
    ? written.then((outcome) => attempted(input, record, expected, size, outcome, true))
    : attempted(input, record, expected, size, written, bounded);
}

/**
 * `bounded`: whether a retry must fit in `storeTimeout`: always after a store that made the
 * request wait. The first retry after a synchronous store's conflict is not: nothing can come
 * between its read of the current record and its compare-and-set, so it succeeds, and a clock
 * tick during the merge must not fail it when `storeTimeout` is a millisecond or two. A
 * synchronous store that conflicts again is bounded like any other.
 */
function attempted(
  input: CommitInput,
  record: SessionRecord,
  expected: unknown,
  size: number,
  outcome: CommitOutcome,
  bounded: boolean,
): MaybePromise<CommitResult> {
  if (outcome.committed) {
    return { outcome: 'stored', stored: { record, version: outcome.version, size } };
  }
  // A new session's key that is taken: ids are random, so only a revocation's tombstone.
  if (expected === undefined) return { outcome: 'gone' };
  const current = live(input, outcome.current);
  if (typeof current === 'string') return { outcome: current };
  if (bounded) retryBefore(input.deadline);
  const { log, changes } = input;
  const merged = replayed(current.record, changes);
  const mergedSize = log.assertMergedWithinLimit(merged, changes);
  return attempt(input, merged, current.version, mergedSize, true);
}

/** One compare-and-set of `record` under the key this commit writes. */
function write(
  input: CommitInput,
  record: SessionRecord,
  expected: unknown,
  size: number,
): MaybePromise<CommitOutcome> {
  const { runtime, now } = input;
  record.lastSeen = now;
  const ttl = ttlOf(runtime.config, record, now);
  return settle(
    runtime.store.commit(input.key, expected, record, ttl, size),
    'commit',
    input.deadline,
  );
}

function live(input: CommitInput, found: StoreLookup): StoredSession | 'gone' | 'moved' {
  if (found === 'moved') return 'moved';
  const { config } = input.runtime;
  if (
    typeof found !== 'object' ||
    found.record.revoked ||
    isExpired(config, found.record, input.now)
  ) {
    return 'gone';
  }
  return found;
}

function replayed(record: SessionRecord, changes: SessionChange[]): SessionRecord {
  const copy = copyRecord(record);
  for (const change of changes) applyChange(copy, change);
  return copy;
}
