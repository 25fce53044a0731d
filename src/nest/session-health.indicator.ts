import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { SessionRuntime } from '../core/session-runtime.js';
import {
  isRedisClusterClient,
  pingClusterMasters,
  type RedisClusterClient,
} from '../storage/cluster-topology.js';

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
 * On Redis Cluster it also pings every master of the client's slot map: a probe key lands on one
 * master only, and the sessions of a failed master are out of reach until a replica takes over.
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
      for (const cluster of this.clusterClients()) {
        await pingClusterMasters(cluster, config.storeTimeout).catch((error: unknown) => {
          throw new SessionStoreUnavailableError('ping', error);
        });
      }
      return { status: 'up', responseTime: Date.now() - started };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 'down', responseTime: Date.now() - started, message };
    }
  }

  /** The Redis Cluster clients behind the cache's Keyv stores (a `KeyvRedis` keeps it as `client`). */
  private clusterClients(): RedisClusterClient[] {
    return this.runtime.cache.stores
      .map((keyv) => (keyv.store as { client?: unknown } | undefined)?.client)
      .filter(isRedisClusterClient);
  }
}
