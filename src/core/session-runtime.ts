import { KeyedQueue } from './keyed-queue.js';
import type { SessionConfig } from './session-options.js';
import type { SessionLogger } from './session-logger.js';
import type { SessionStore } from './session-store.js';

/** What every request's session shares within one app: its config, its store, its commit queue. */
export class SessionRuntime {
  /** Serializes the read-merge-write commits of each session within this process. */
  readonly commits = new KeyedQueue();

  constructor(
    readonly config: SessionConfig,
    readonly store: SessionStore,
    readonly logger: SessionLogger,
  ) {}
}
