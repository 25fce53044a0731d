import { createKeyv } from '@cacheable/memory';
import { createCache, type Cache } from 'cache-manager';

/**
 * The default store: in-memory, and bounded, unlike express-session's MemoryStore. Expired
 * sessions are evicted by a periodic sweep, and past `maxSessions` the least recently used
 * session goes first.
 */
export function createDefaultMemoryCache(options: {
  maxSessions: number;
  checkInterval: number;
}): Cache {
  const keyv = createKeyv({
    lruSize: options.maxSessions,
    checkInterval: options.checkInterval,
    useClone: false,
    // One map instead of 16 hashed shards: no hash computed per key on every call.
    storeHashSize: 1,
  });
  return createCache({ stores: [keyv] });
}
