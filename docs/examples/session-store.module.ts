// session-store.module.ts
import KeyvRedis from '@keyv/redis';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { setTimeout as sleep } from 'node:timers/promises';

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

  async onApplicationShutdown() {
    // A graceful close waits for the answer to every command sent: on a stalled Redis it would
    // hold the shutdown until Redis resumes. Give it a second, then drop the connection.
    const redis = (this.cache.stores[0]!.store as KeyvRedis<string>).client;
    const closed = redis.close().then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([closed, sleep(1000, false, { ref: false })]))) redis.destroy();
  }
}
