import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SessionRuntime } from '../core/session-runtime.js';

/** What {@link SessionHealthIndicator.check} found. */
export interface SessionStoreHealth {
  /** `'up'` when the probe key was written, read back and deleted in time. */
  status: 'up' | 'down';
  /** Milliseconds the probe took. */
  responseTime: number;
  /** Why the store is down. */
  message?: string;
}

/**
 * Tells whether the session store answers, for a readiness probe or a `@nestjs/terminus`
 * custom indicator: writes, reads back and deletes a probe key, each bounded by `storeTimeout`.
 */
@Injectable()
export class SessionHealthIndicator {
  /** @internal Nest injects it. */
  constructor(private readonly runtime: SessionRuntime) {}

  /** Probes the store; never throws: a failure is `status: 'down'` with its `message`. */
  async check(): Promise<SessionStoreHealth> {
    const { store, config } = this.runtime;
    const key = `${config.keyPrefix}health:${randomUUID()}`;
    const started = Date.now();
    try {
      await store.set(key, 'ok', config.storeTimeout * 2);
      const value = await store.get(key);
      await store.delete(key);
      if (value !== 'ok') throw new Error('the probe value did not read back');
      return { status: 'up', responseTime: Date.now() - started };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 'down', responseTime: Date.now() - started, message };
    }
  }
}
