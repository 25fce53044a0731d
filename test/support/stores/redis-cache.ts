import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';

/** A cache-manager cache on Redis, configured as docs/stores.md recommends. */
export function redisCache(url: string): { cache: Cache; disconnect(): Promise<void> } {
  const store = new KeyvRedis(
    { url, disableOfflineQueue: true },
    { throwOnErrors: true, connectionTimeout: 1000 },
  );
  const keyv = new Keyv({ store, namespace: 'sess', throwOnErrors: true });
  const cache = createCache({ stores: [keyv] });
  return {
    cache,
    disconnect: async () => {
      await cache.disconnect().catch(() => undefined);
    },
  };
}
