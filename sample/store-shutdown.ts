import type KeyvRedis from '@keyv/redis';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';

export const SAMPLE_STORE = Symbol('SAMPLE_STORE');

/** An open Redis connection would keep the process alive after app.close(). */
@Injectable()
export class StoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(SAMPLE_STORE) private readonly store: Cache | null) {}

  onApplicationShutdown(): void {
    if (!this.store) return;
    // Every request has been answered by now: a graceful close() would wait for the answers to
    // commands the session module gave up on, and on a stalled Redis hold the shutdown.
    const redis = (this.store.stores[0]!.store as KeyvRedis<string>).client;
    if (redis.isOpen) redis.destroy();
  }
}
