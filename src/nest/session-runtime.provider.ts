import { Logger, type Provider } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { SessionOptionsError } from '../core/errors.js';
import { RepeatedWarnings } from '../core/repeated-warnings.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../core/session-options.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { MemorySessionStore } from '../storage/memory-session-store.js';
import { sessionStoreFor } from '../storage/session-store-for.js';
import { SESSION_MODULE_OPTIONS } from './session-module-definition.js';

/** Builds the app's {@link SessionRuntime} from the module options; bad options fail startup. */
export const sessionRuntimeProvider: Provider = {
  provide: SessionRuntime,
  inject: [SESSION_MODULE_OPTIONS],
  useFactory: (options: SessionModuleOptions | undefined) => {
    // forRoot() always passes an object: nothing here is a forRootAsync() factory that forgot to
    // return its options, which must not start the app on the defaults (and another store).
    if (options === undefined || options === null) {
      throw new SessionOptionsError(
        'options',
        'must be a plain object: the forRootAsync() factory returned nothing',
      );
    }
    const config = resolveSessionConfig(options);
    const logger = new RepeatedWarnings(new Logger('SessionModule'));
    if (options.store === undefined) {
      const store = new MemorySessionStore({
        maxSessions: config.memoryStoreMaxSessions,
        maxBytes: config.memoryStoreMaxBytes,
      });
      return new SessionRuntime(config, store, logger);
    }
    assertCache(options.store);
    if (options.store.stores.length > 1) {
      logger.warn(
        `The session store is a cache of ${options.store.stores.length} stores: its commits are not atomic across instances, and a layer in one instance's memory keeps serving a session that another instance destroyed or revoked until that copy expires. Pass a cache whose one store is @keyv/redis`,
      );
    }
    return new SessionRuntime(config, sessionStoreFor(options.store), logger);
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
