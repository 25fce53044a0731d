import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';

/**
 * The README's Redis setup: without disableOfflineQueue and throwOnErrors, a Redis outage makes
 * every command hang in the offline queue instead of failing fast with a 503.
 */
export function createRedisStore(url: string): Cache {
  const store = new KeyvRedis(
    { url, disableOfflineQueue: true },
    { throwOnErrors: true, connectionTimeout: 1000 },
  );
  return createCache({ stores: [new Keyv({ store, namespace: 'sess', throwOnErrors: true })] });
}
