/**
 * The storage seam of the session model. Implementations throw
 * `SessionStoreUnavailableError` when the backend fails or is too slow; they never report a
 * failure as a missing key.
 */
export interface SessionStore {
  /** The stored text under `key`, or `undefined` when there is none. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttl` milliseconds. */
  set(key: string, value: string, ttl: number): Promise<void>;
  delete(key: string): Promise<void>;
}
