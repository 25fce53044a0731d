import type { Cache } from 'cache-manager';
import { KeyedQueue } from './keyed-queue.js';
import type { SessionConfig } from './session-options.js';
import type { SessionLogger } from './session-logger.js';
import type { SessionStore } from './session-store.js';

/**
 * @internal What every request's session shares within one app: its config, its store, its
 * commit queue.
 */
export class SessionRuntime {
  /** Serializes the read-merge-write commits of each session within this process. */
  readonly commits = new KeyedQueue();

  constructor(
    readonly config: SessionConfig,
    readonly store: SessionStore,
    readonly logger: SessionLogger,
    /** The cache-manager cache the sessions live in (the default memory store when no `store` was given). */
    readonly cache: Cache,
    private readonly ownsCache: boolean,
  ) {}

  /** Releases the default memory store's sweep timer; a cache passed in by the app is left alone. */
  async close(): Promise<void> {
    if (this.ownsCache) await this.cache.disconnect();
  }
}
