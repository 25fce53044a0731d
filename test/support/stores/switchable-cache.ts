import { countingCache } from './counting-cache.js';

/**
 * A counting in-memory cache whose store a test can take down: with `state.down` every call
 * fails like a lost connection, with `state.writesDown` only writes do.
 */
export function switchableCache() {
  const { cache, keyv } = countingCache();
  const state = { down: false, writesDown: false };
  for (const method of ['get', 'getRaw', 'set', 'delete'] as const) {
    const original = keyv[method].bind(keyv) as (...args: unknown[]) => Promise<unknown>;
    (keyv as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      state.down || (state.writesDown && method === 'set')
        ? Promise.reject(new Error('connection refused'))
        : original(...args);
  }
  return { cache, state };
}
