import type { SessionConfig } from './session-options.js';
import type { SessionRecord } from './session-record.js';

type Timeouts = Pick<SessionConfig, 'idleTimeout' | 'absoluteTimeout' | 'touchAfter'>;

/**
 * Whether `record` is past its idle or absolute timeout at `now`. Checked on every load as well as
 * by the store's TTL: a store may keep an entry longer than asked (or a clock may differ).
 */
export function isExpired(config: Timeouts, record: SessionRecord, now: number): boolean {
  return (
    now - record.lastSeen >= config.idleTimeout ||
    (config.absoluteTimeout !== undefined && now - record.createdAt >= config.absoluteTimeout)
  );
}

/** How long the store keeps `record` written at `now`: until the first timeout that ends it. */
export function ttlOf(config: Timeouts, record: SessionRecord, now: number): number {
  const left =
    config.absoluteTimeout === undefined
      ? config.idleTimeout
      : Math.min(config.idleTimeout, record.createdAt + config.absoluteTimeout - now);
  return Math.max(1, left);
}

/** Whether a session only read at `now` is due for a write that pushes its expiry. */
export function needsTouch(config: Timeouts, record: SessionRecord, now: number): boolean {
  return now - record.lastSeen >= config.touchAfter;
}
