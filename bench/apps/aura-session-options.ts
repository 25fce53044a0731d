import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import type { SessionModuleOptions } from '../../src/index.js';
import type { Variant } from './variants.js';

/** Our module's options for a variant: defaults, or the Redis store docs/stores.md recommends. */
export function auraSessionOptions(variant: Variant, redisUrl: string): SessionModuleOptions {
  if (variant.store === 'redis') {
    const store = new KeyvRedis(
      { url: redisUrl, disableOfflineQueue: true },
      { throwOnErrors: true, connectionTimeout: 1000 },
    );
    return {
      store: createCache({ stores: [new Keyv({ store, namespace: 'sess', throwOnErrors: true })] }),
    };
  }
  return variant.memoryCap === undefined ? {} : { memoryStoreMaxSessions: variant.memoryCap };
}
