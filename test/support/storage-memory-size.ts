import type { CacheableMemory } from '@cacheable/memory';
import type { Cache } from 'cache-manager';

/**
 * How many entries the in-memory store behind `cache` holds, expired-but-not-yet-swept ones
 * included: the memory it really uses. `cache` must come from `createDefaultMemoryCache` (a
 * Keyv over `@cacheable/memory`'s KeyvCacheableMemory).
 */
export function memoryStoreSize(cache: Cache): number {
  const adapter = cache.stores[0]?.store as { store?: CacheableMemory } | undefined;
  const memory = adapter?.store;
  if (!memory || typeof memory.size !== 'number') {
    throw new Error('memoryStoreSize: not a cache built by createDefaultMemoryCache');
  }
  return memory.size;
}
