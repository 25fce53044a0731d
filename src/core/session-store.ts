import type { SessionRecord } from './session-record.js';

/** @internal A live session as a store holds it: the decoded record and the version it was read at. */
export interface StoredSession {
  /**
   * The decoded session. Shared, never mutated in place: whoever wants to change it builds a new
   * record (copy on write), so a store may hand the same object to every request.
   */
  readonly record: SessionRecord;
  /** Opaque compare-and-set token: what {@link SessionStore.commit} compares against. */
  readonly version: unknown;
  /** At least the session's serialized size in bytes, for the `maxSize` budget of a request. */
  readonly size: number;
}

/**
 * @internal What is stored under a key: a live session; `'moved'`, the short-lived marker `regenerateId()`
 * leaves under the old id (a late request of the old id must not expire the new cookie);
 * `'corrupt'`, bytes this library cannot decode (treated as no session); or nothing.
 */
export type StoreLookup = StoredSession | 'moved' | 'corrupt' | undefined;

/** @internal The outcome of a compare-and-set: the new version, or what is stored instead. */
export type CommitOutcome =
  | { readonly committed: true; readonly version: unknown }
  | { readonly committed: false; readonly current: StoreLookup };

/**
 * @internal The outcome of a compare-and-move: done, or what is stored instead. `marker` is the
 * version of the moved marker left under the key, for a store that can undo a move with a
 * compare-and-set over it; a store that answers synchronously has no need to.
 */
export type MoveOutcome =
  | { readonly moved: true; readonly marker?: unknown }
  | { readonly moved: false; readonly current: StoreLookup };

/** @internal A value now, or later: the built-in memory store answers synchronously and pays no promise. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The storage seam of the session model. Every write is a compare-and-set, so concurrent
 * requests replay their own changes onto what another request stored instead of overwriting it.
 * Implementations throw `SessionStoreUnavailableError` when the backend fails or is too slow; they
 * never report a failure as a missing key.
 * @internal
 */
export interface SessionStore {
  /**
   * Whether {@link commit} is atomic across processes. When false, it is atomic only within this
   * process, and two instances can still interleave their writes to one session.
   */
  readonly atomic: boolean;
  /** Makes the store ready for the first request (connects a client); never rejects. */
  connect?(): Promise<void>;
  /**
   * Undoes what the store did to the cache it was given (its event listeners), when the app
   * stops: the cache is the app's, and may serve other apps (a test suite's, say) after it.
   */
  release?(): void;
  /**
   * Checks a health probe makes beyond writing and reading a probe session (every Redis Cluster
   * master answers); rejects when one fails.
   */
  checkHealth?(timeout: number): Promise<void>;
  /**
   * How log messages name the record under `key`: as the storage itself names it (with the
   * prefixes it adds), so an operator can look it up there. Without it, `store key <key>`.
   */
  describeKey?(key: string): string;
  /** What is stored under `key`. */
  load(key: string): MaybePromise<StoreLookup>;
  /**
   * Stores `record` under `key` for `ttl` milliseconds if what is stored still has version
   * `expected` (`undefined`: only if nothing is stored). The store owns `record` afterwards.
   *
   * @param size - An upper bound of the session's serialized size in bytes, which the caller
   *   already tracks: a store that bounds its memory counts it without serializing the record.
   */
  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
    size: number,
  ): MaybePromise<CommitOutcome>;
  /**
   * Compare-and-move, the last step of `regenerateId()`: if the session under `key` still has
   * version `expected`, atomically replaces it with the `'moved'` marker for `ttl` milliseconds;
   * otherwise changes nothing and hands back what is stored (another commit, the marker, a
   * tombstone, nothing), so the caller can carry that state over to the new key and try again.
   * Taking the old key only at the version the new key's record was built from means no commit
   * of the old id is lost, and a refused or failed regenerate leaves the old session in place.
   */
  move(key: string, expected: unknown, ttl: number): MaybePromise<MoveOutcome>;
  /** Removes whatever is stored under `key`. */
  delete(key: string): MaybePromise<void>;
}

/** How log messages name the record of `store` under `key` (see {@link SessionStore.describeKey}). */
export function describeKey(store: SessionStore, key: string): string {
  return store.describeKey?.(key) ?? `store key ${key}`;
}
