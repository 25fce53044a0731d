import type { Keyv } from 'keyv';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { isWrongTypeReply } from './redis-scripts.js';

/**
 * A Keyv whose `error` events during a call make that call fail. Keyv reports some failures
 * only as events (its `set` resolves `false`, a store built without `throwOnErrors` swallows), and
 * a failure must never read as "no session".
 */
export class WatchedKeyv {
  private errors = 0;
  private lastError: unknown;

  // The listener also keeps an `error` event from crashing the process as unhandled.
  private readonly countError = (error: unknown): void => {
    this.errors++;
    this.lastError = error;
  };

  constructor(readonly keyv: Keyv) {
    keyv.on('error', this.countError);
  }

  /** Takes the listener off the Keyv, which belongs to the app and may serve another app after. */
  release(): void {
    this.keyv.off('error', this.countError);
  }

  /**
   * Reads `key`. Through `getRaw`, not `get`: Keyv's `get` turns a store that throws (a database
   * that is down) into `undefined` without an `error` event unless the Keyv was built with
   * `throwOnErrors`, and an outage must not read as "no session". Bytes Keyv cannot deserialize
   * throw a SyntaxError without an `error` event (or a TypeError, when they deserialize to `null`
   * and `getRaw` reads its expiry): that is corrupt data, not an outage, and comes back as
   * `undefined` with `corrupt` set, for the session model to reject (a 503 would lock the user
   * out until the cookie is cleared). So does a key of another Redis type (a hash, a list),
   * which Redis answers with WRONGTYPE.
   */
  async read(key: string): Promise<{ value: unknown; corrupt: boolean }> {
    const before = this.errors;
    try {
      const stored = await this.call((keyv) => keyv.getRaw(key));
      return { value: stored?.value, corrupt: false };
    } catch (error) {
      const cause = error instanceof SessionStoreUnavailableError ? error.cause : error;
      const undecodable = cause instanceof SyntaxError || cause instanceof TypeError;
      if ((undecodable && this.errors === before) || isWrongTypeReply(cause)) {
        return { value: undefined, corrupt: true };
      }
      throw error;
    }
  }

  async call<T>(operation: (keyv: Keyv) => Promise<T>): Promise<T> {
    const before = this.errors;
    let result: T;
    try {
      result = await operation(this.keyv);
    } catch (error) {
      throw error instanceof SessionStoreUnavailableError || error instanceof SyntaxError
        ? error
        : new SessionStoreUnavailableError('call', error);
    }
    if (this.errors !== before) throw new SessionStoreUnavailableError('call', this.lastError);
    return result;
  }

  /** Writes `value`; a write Keyv refuses (`false`) is a failure too. */
  async write(key: string, value: string, ttl: number): Promise<void> {
    const ok = await this.call((keyv) => keyv.set(key, value, ttl));
    if (ok === false) throw new SessionStoreUnavailableError('set', 'the store refused it');
  }
}
