import type { UsageReply } from '../apps/usage-probe.js';
import type { Variant } from '../apps/variants.js';
import { AppProcess } from './app-process.js';
import { runLoad } from './load.js';

/** Memory of a fresh app before, halfway through and after creating `sessions` new sessions. */
export interface MemoryCheck {
  variant: Variant;
  sessions: number;
  before: UsageReply;
  half: UsageReply;
  after: UsageReply;
  failures: number;
}

/**
 * Sends `sessions` cookieless /write requests (each starts a session) to a fresh app that runs
 * with `--expose-gc`, so heap figures are after a full collection.
 */
export async function checkMemory(
  variant: Variant,
  redisUrl: string,
  sessions: number,
  connections: number,
  cores: string | undefined,
): Promise<MemoryCheck> {
  const app = await AppProcess.start(variant, redisUrl, { nodeFlags: ['--expose-gc'], cores });
  try {
    const batch = (url: string, requests: number) =>
      runLoad({ url: `${app.url}${url}`, connections, cookies: [], until: { requests } });
    // JIT and lazily loaded code settle before the first reading, on a route without sessions.
    await batch('/untouched', 5000);
    const before = await app.usage();
    const first = await batch('/write', Math.floor(sessions / 2));
    const half = await app.usage();
    const second = await batch('/write', sessions - Math.floor(sessions / 2));
    const after = await app.usage();
    return { variant, sessions, before, half, after, failures: first.failures + second.failures };
  } finally {
    await app.stop();
  }
}

/**
 * Bounded: the second half of the sessions grows the collected heap by under a quarter of what the
 * first half did, or by under 2 MB (an unbounded store grows about as much in both halves).
 */
export function isBounded(check: MemoryCheck): boolean {
  const firstGrowth = check.half.heapUsed - check.before.heapUsed;
  const secondGrowth = check.after.heapUsed - check.half.heapUsed;
  return secondGrowth < Math.max(firstGrowth / 4, 2 * 1024 * 1024);
}
