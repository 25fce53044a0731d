import type { CacheableMemory } from '@cacheable/memory';
import type { Cache } from 'cache-manager';

/**
 * How many entries the in-memory store behind `cache` holds, expired-but-not-yet-swept ones
 * included: the memory it really uses. `cache` must be the module's default memory store
 * (`SessionRuntime.cache` with no `store` option: a Keyv over `@cacheable/memory`).
 */
export function memoryStoreSize(cache: Cache): number {
  const adapter = cache.stores[0]?.store as { store?: CacheableMemory } | undefined;
  const memory = adapter?.store;
  if (!memory || typeof memory.size !== 'number') {
    throw new Error('memoryStoreSize: not the default memory store');
  }
  return memory.size;
}
