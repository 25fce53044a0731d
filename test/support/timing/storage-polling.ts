import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `attempt` until it returns something other than `undefined`, or fails after `within`
 * ms with `what` in the message. For "recovers by itself" checks, where the moment a client
 * reconnects is not ours to choose.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  within = 15_000,
): Promise<T> {
  const deadline = Date.now() + within;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what}: still not the case after ${within} ms`);
    await sleep(100);
  }
}

/** Runs `work` and returns its result with the milliseconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}
