import { Logger, type Provider } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { SessionOptionsError } from '../core/errors.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../core/session-options.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { CacheManagerSessionStore } from '../storage/cache-manager-session-store.js';
import { createDefaultMemoryCache } from '../storage/default-memory-cache.js';
import { SESSION_MODULE_OPTIONS } from './session-module-definition.js';

/** Builds the app's {@link SessionRuntime} from the module options; bad options fail startup. */
export const sessionRuntimeProvider: Provider = {
  provide: SessionRuntime,
  inject: [SESSION_MODULE_OPTIONS],
  useFactory: (options: SessionModuleOptions | undefined) => {
    const config = resolveSessionConfig(options ?? {});
    const cache =
      options?.store ??
      createDefaultMemoryCache({
        maxSessions: config.memoryStoreMaxSessions,
        // Sweep expired sessions a few times per idle period, at most once a minute.
        checkInterval: Math.min(60_000, Math.max(1_000, Math.floor(config.idleTimeout / 4))),
      });
    assertCache(cache);
    const logger = new Logger('SessionModule');
    const ownsCache = options?.store === undefined;
    // The built-in memory store answers from this process and cannot hang: no timer for it.
    const store = new CacheManagerSessionStore(cache, ownsCache ? undefined : config.storeTimeout);
    return new SessionRuntime(config, store, logger, cache, ownsCache);
  },
};

function assertCache(cache: unknown): asserts cache is Cache {
  const stores = (cache as Partial<Cache> | null)?.stores;
  const isKeyv = (s: unknown) =>
    typeof (s as { get?: unknown })?.get === 'function' &&
    typeof (s as { set?: unknown })?.set === 'function' &&
    typeof (s as { delete?: unknown })?.delete === 'function' &&
    typeof (s as { on?: unknown })?.on === 'function';
  if (!Array.isArray(stores) || stores.length === 0 || !stores.every(isKeyv)) {
    throw new SessionOptionsError(
      'store',
      'must be a cache-manager 7 Cache, e.g. createCache({ stores: [new Keyv(...)] })',
    );
  }
}
