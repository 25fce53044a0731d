import type { Cache } from 'cache-manager';
import type { SessionStore } from '../core/session-store.js';
import { KeyvSessionStore } from './keyv-session-store.js';
import { RedisSessionStore } from './redis-session-store.js';

/**
 * The store for the cache the app passed in: the atomic Redis store when its one Keyv store is
 * `@keyv/redis`, else the generic Keyv store.
 */
export function sessionStoreFor(cache: Cache): SessionStore {
  return RedisSessionStore.for(cache) ?? new KeyvSessionStore(cache);
}
