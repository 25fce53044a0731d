import { LateWork } from './late-work.js';
import type { SessionConfig } from './session-options.js';
import type { SessionLogger } from './session-logger.js';
import type { SessionStore } from './session-store.js';

/** @internal What every request's session shares within one app: its config, its store, its logger. */
export class SessionRuntime {
  constructor(
    readonly config: SessionConfig,
    readonly store: SessionStore,
    readonly logger: SessionLogger,
  ) {}

  /** Store work that outlived its request, for a graceful shutdown to wait for. */
  readonly lateWork = new LateWork();

  private readonly warned = new Set<string>();

  /** Logs `message` the first time only: a misconfiguration would otherwise flood the log. */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }
}
