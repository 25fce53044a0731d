import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';

/**
 * A cache-manager cache on Redis built the naive way: no `throwOnErrors`, the offline queue on.
 * Its commands hang while Redis is down and its errors only surface as `error` events, so the
 * library's own timeout and event watch are all that stand between an outage and "no session".
 */
export function plainRedisCache(url: string): { cache: Cache; disconnect(): Promise<void> } {
  const keyv = new Keyv({ store: new KeyvRedis(url) });
  const cache = createCache({ stores: [keyv] });
  return {
    cache,
    disconnect: async () => {
      await cache.disconnect().catch(() => undefined);
    },
  };
}
