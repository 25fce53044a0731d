import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';

export const SAMPLE_STORE = Symbol('SAMPLE_STORE');

/** An open Redis connection would keep the process alive after app.close(). */
@Injectable()
export class StoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(SAMPLE_STORE) private readonly store: Cache | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store?.disconnect();
  }
}
