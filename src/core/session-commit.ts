import type { ChangeLog } from './change-log.js';
import { applyChange, type SessionChange } from './session-change.js';
import { then } from './maybe-promise.js';
import { isExpired, ttlOf } from './session-expiry.js';
import { copyRecord, type SessionRecord } from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';
import type { MaybePromise, StoreLookup, StoredSession } from './session-store.js';
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
  /** The record of a new session. */
  fresh: SessionRecord | undefined;
  changes: SessionChange[];
  log: ChangeLog;
}

/**
 * Writes the request's changes with compare-and-set: the request's own copy when nobody wrote
 * since it read the session, else its changes replayed onto what is stored now, until a write
 * lands or the session turns out gone. The session is never written back once destroyed,
 * expired or moved: a compare-and-set against a missing key fails.
 */
export function commitChanges(input: CommitInput): MaybePromise<CommitResult> {
  const { runtime, now, deadline, log, changes } = input;
  const { store, config } = runtime;
  const base = input.base;
  if (base === undefined) return attempt(input.fresh!, undefined, log.sizeBound);
  if (!input.moving) return writeOver(base, base.version);
  return then(settle(store.move(input.baseKey!, MOVED_TTL), 'move', deadline), (found) => {
    const taken = live(found);
    return typeof taken === 'string' ? { outcome: taken } : writeOver(taken, undefined);
  });

  /** Writes onto `current`: the request's own copy if it read that version, else a replay. */
  function writeOver(current: StoredSession, expected: unknown): MaybePromise<CommitResult> {
    if (current.version === base!.version) {
      return attempt(input.candidate ?? replayed(current.record, changes), expected, log.sizeBound);
    }
    const record = replayed(current.record, changes);
    return attempt(record, expected, log.assertMergedWithinLimit(record, changes));
  }

  function attempt(
    record: SessionRecord,
    expected: unknown,
    size: number,
  ): MaybePromise<CommitResult> {
    record.lastSeen = now;
    const ttl = ttlOf(config, record, now);
    const written = settle(
      store.commit(input.key, expected, record, ttl, size),
      'commit',
      deadline,
    );
    return then(written, (outcome): MaybePromise<CommitResult> => {
      if (outcome.committed) {
        return { outcome: 'stored', stored: { record, version: outcome.version, size } };
      }
      // A fresh key (new session, new id) that is taken: ids are random, so it never happens.
      if (expected === undefined) return { outcome: 'gone' };
      const current = live(outcome.current);
      if (typeof current === 'string') return { outcome: current };
      retryBefore(deadline);
      const merged = replayed(current.record, changes);
      return attempt(merged, current.version, log.assertMergedWithinLimit(merged, changes));
    });
  }

  function live(found: StoreLookup): StoredSession | 'gone' | 'moved' {
    if (found === 'moved') return 'moved';
    if (typeof found !== 'object' || found.record.revoked || isExpired(config, found.record, now)) {
      return 'gone';
    }
    return found;
  }
}

function replayed(record: SessionRecord, changes: SessionChange[]): SessionRecord {
  const copy = copyRecord(record);
  for (const change of changes) applyChange(copy, change);
  return copy;
}
