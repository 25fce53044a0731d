import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { newRecord } from '../core/session-record.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { settle } from '../core/store-call.js';
import { withTimeout } from '../core/with-timeout.js';
import { MemorySessionStore } from '../storage/memory-session-store.js';

/** What {@link SessionHealthIndicator.check} found. */
export interface SessionStoreHealth {
  /**
   * `'up'` when the probe key was written, read back and deleted in time; always for the
   * built-in memory store, which lives in the app's process.
   */
  status: 'up' | 'down';
  /** Milliseconds the probe took. */
  responseTime: number;
  /** Why the store is down. */
  message?: string;
}

/**
 * Tells whether the session store answers, for a readiness probe or a `@nestjs/terminus`
 * custom indicator: writes, reads back and deletes a probe session, all within `storeTimeout`.
 * On Redis Cluster it also pings every master of the client's slot map: a probe key lands on one
 * master only, and the sessions of a failed master are out of reach until a replica takes over.
 */
@Injectable()
export class SessionHealthIndicator {
  /** @internal Nest injects it. */
  constructor(private readonly runtime?: SessionRuntime) {}

  /**
   * Probes the store; a failure is `status: 'down'` with its `message`. Throws only when the
   * indicator was made with `new` rather than injected: it has no store to probe then.
   */
  async check(): Promise<SessionStoreHealth> {
    if (!this.runtime) {
      throw new Error(
        'SessionHealthIndicator made with new has no store to probe: inject it (SessionModule provides it)',
      );
    }
    const { store, config } = this.runtime;
    // The built-in store lives in this process and answers whenever the app does; a probe
    // session there would only take the place of a user's when the store is full.
    if (store instanceof MemorySessionStore) return { status: 'up', responseTime: 0 };
    const key = `${config.keyPrefix}health:${randomUUID()}`;
    const started = Date.now();
    const deadline = started + config.storeTimeout;
    try {
      const probe = newRecord(started);
      const ttl = config.storeTimeout * 2;
      await settle(store.commit(key, undefined, probe, ttl, 0), 'commit', deadline);
      const found = await settle(store.load(key), 'load', deadline);
      await settle(store.delete(key), 'delete', deadline);
      if (typeof found !== 'object') throw new Error('the probe session did not read back');
      if (store.checkHealth) {
        // What is left of the same `storeTimeout`: a readiness probe's timeout can be sized on it.
        const left = Math.max(1, deadline - Date.now());
        await withTimeout('ping', store.checkHealth(left), left);
      }
      return { status: 'up', responseTime: Date.now() - started };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 'down', responseTime: Date.now() - started, message };
    }
  }
}
