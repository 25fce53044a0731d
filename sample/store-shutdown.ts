import type KeyvRedis from '@keyv/redis';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { setTimeout as sleep } from 'node:timers/promises';

export const SAMPLE_STORE = Symbol('SAMPLE_STORE');

/** An open Redis connection would keep the process alive after app.close(). */
@Injectable()
export class StoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(SAMPLE_STORE) private readonly store: Cache | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.store) return;
    // A graceful close waits for the answer to every command sent: on a stalled Redis it would
    // hold the shutdown until Redis resumes. Give it a second, then drop the connection.
    const redis = (this.store.stores[0]!.store as KeyvRedis<string>).client;
    const closed = redis.close().then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([closed, sleep(1000, false, { ref: false })]))) redis.destroy();
  }
}
