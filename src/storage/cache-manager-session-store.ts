import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import { SessionStoreUnavailableError } from '../core/errors.js';
import type { SessionStore } from '../core/session-store.js';
import { withTimeout } from './with-timeout.js';

/**
 * A {@link SessionStore} over a cache-manager `Cache`. It talks to the cache's Keyv stores
 * directly, because `cache.get` swallows errors (a store outage would look like "no session" and
 * log everyone out) and Keyv's `set` reports failure as `false`. A Keyv built without
 * `throwOnErrors` still emits the error, so every store is watched for `error` events too.
 */
export class CacheManagerSessionStore implements SessionStore {
  private readonly stores: WatchedKeyv[];

  /**
   * @param timeout the longest one call may take; `undefined` for a store that answers from
   * this process's memory and cannot hang, which then pays for no timer.
   */
  constructor(
    cache: Cache,
    private readonly timeout: number | undefined,
  ) {
    this.stores = cache.stores.map((keyv) => new WatchedKeyv(keyv));
  }

  async get(key: string): Promise<unknown> {
    for (const store of this.stores) {
      const value = await this.bounded('get', store.read(key));
      if (value !== undefined && value !== null) return value;
    }
    return undefined;
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    await Promise.all(
      this.stores.map(async (store) => {
        const ok = await this.bounded(
          'set',
          store.call((keyv) => keyv.set(key, value, ttl)),
        );
        if (ok === false) throw new SessionStoreUnavailableError('set', 'the store refused it');
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await Promise.all(
      this.stores.map((store) =>
        this.bounded(
          'delete',
          store.call((keyv) => keyv.delete(key)),
        ),
      ),
    );
  }

  private bounded<T>(operation: string, work: Promise<T>): Promise<T> {
    return this.timeout === undefined ? work : withTimeout(operation, work, this.timeout);
  }
}

/** A Keyv whose `error` events during a call make that call fail. */
class WatchedKeyv {
  private errors = 0;
  private lastError: unknown;

  constructor(private readonly keyv: Keyv) {
    // The listener also keeps an `error` event from crashing the process as unhandled.
    keyv.on('error', (error: unknown) => {
      this.errors++;
      this.lastError = error;
    });
  }

  /**
   * Reads `key`. Bytes Keyv cannot deserialize throw a SyntaxError without an `error` event:
   * that is corrupt data, not an outage, and comes back as the error itself for the session
   * model to reject (a 503 would lock the user out until the cookie is cleared).
   */
  async read(key: string): Promise<unknown> {
    const before = this.errors;
    try {
      return await this.call((keyv) => keyv.get(key));
    } catch (error) {
      if (error instanceof SyntaxError && this.errors === before) return error;
      throw error;
    }
  }

  async call<T>(operation: (keyv: Keyv) => Promise<T>): Promise<T> {
    const before = this.errors;
    const result = await operation(this.keyv);
    if (this.errors !== before) throw new SessionStoreUnavailableError('call', this.lastError);
    return result;
  }
}
