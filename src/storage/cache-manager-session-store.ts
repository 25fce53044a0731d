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

  constructor(
    cache: Cache,
    private readonly timeout: number,
  ) {
    this.stores = cache.stores.map((keyv) => new WatchedKeyv(keyv));
  }

  async get(key: string): Promise<string | undefined> {
    for (const store of this.stores) {
      const value = await withTimeout(
        'get',
        store.call((keyv) => keyv.get(key)),
        this.timeout,
      );
      if (value !== undefined && value !== null) return value as string;
    }
    return undefined;
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    await Promise.all(
      this.stores.map(async (store) => {
        const ok = await withTimeout(
          'set',
          store.call((keyv) => keyv.set(key, value, ttl)),
          this.timeout,
        );
        if (ok === false) throw new SessionStoreUnavailableError('set', 'the store refused it');
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await Promise.all(
      this.stores.map((store) =>
        withTimeout(
          'delete',
          store.call((keyv) => keyv.delete(key)),
          this.timeout,
        ),
      ),
    );
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

  async call<T>(operation: (keyv: Keyv) => Promise<T>): Promise<T> {
    const before = this.errors;
    const result = await operation(this.keyv);
    if (this.errors !== before) throw new SessionStoreUnavailableError('call', this.lastError);
    return result;
  }
}
