/**
 * The storage seam of the session model. Implementations throw
 * `SessionStoreUnavailableError` when the backend fails or is too slow; they never report a
 * failure as a missing key.
 * @internal
 */
export interface SessionStore {
  /**
   * What is stored under `key`, or `undefined` when there is none. Anything but the text this
   * library wrote (say, bytes the store's serializer could not decode) is treated as corrupt.
   */
  get(key: string): Promise<unknown>;
  /** Stores `value` under `key` for `ttl` milliseconds. */
  set(key: string, value: string, ttl: number): Promise<void>;
  delete(key: string): Promise<void>;
}
