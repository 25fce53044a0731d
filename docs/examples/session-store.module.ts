// session-store.module.ts
import KeyvRedis from '@keyv/redis';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';

export const SESSION_CACHE = Symbol('SESSION_CACHE');

@Module({
  providers: [
    {
      provide: SESSION_CACHE,
      useFactory: (): Cache => {
        const store = new KeyvRedis(
          // While Redis is unreachable, commands fail at once instead of waiting in a queue.
          { url: process.env.REDIS_URL, disableOfflineQueue: true },
          { throwOnErrors: true, connectionTimeout: 1000 },
        );
        return createCache({
          stores: [new Keyv({ store, namespace: 'sess', throwOnErrors: true })],
        });
      },
    },
  ],
  exports: [SESSION_CACHE],
})
export class SessionStoreModule implements OnApplicationShutdown {
  constructor(@Inject(SESSION_CACHE) private readonly cache: Cache) {}

  onApplicationShutdown() {
    // Every request has been answered by now: a command still waiting for Redis is one the
    // session module gave up on (storeTimeout). A graceful close() would wait for its answer, so
    // on a stalled Redis it would hold the shutdown until Redis resumes; destroy() does not.
    // (A test that replaced the cache, with overrideProvider(SESSION_CACHE), has no client.)
    const redis = (this.cache.stores[0]?.store as Partial<KeyvRedis<string>> | undefined)?.client;
    if (redis?.isOpen) redis.destroy();
  }
}
