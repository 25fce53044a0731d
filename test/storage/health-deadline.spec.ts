import { jest } from '@jest/globals';
import type { SessionStore, StoreLookup } from '../../src/core/session-store.js';
import { resolveSessionConfig } from '../../src/core/session-options.js';
import { newRecord } from '../../src/core/session-record.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { SessionHealthIndicator } from '../../src/nest/session-health.indicator.js';

const STORE_TIMEOUT = 1000;

/**
 * A store whose probe write takes 700 ms and whose extra check (a Redis Cluster's pings of its
 * masters) never answers, as with a master that stalled.
 */
function slowStore(): SessionStore {
  const found: StoreLookup = { record: newRecord(0), version: 'v', size: 0 };
  return {
    atomic: true,
    load: () => Promise.resolve(found),
    commit: () =>
      new Promise((resolve) => setTimeout(() => resolve({ committed: true, version: 'v' }), 700)),
    move: () => Promise.resolve({ moved: true }),
    delete: () => Promise.resolve(),
    checkHealth: () => new Promise(() => undefined),
  };
}

describe('the health check of a slow store', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('answers down within one storeTimeout, its steps and the extra check sharing it', async () => {
    const config = resolveSessionConfig({ storeTimeout: STORE_TIMEOUT });
    const runtime = new SessionRuntime(config, slowStore(), { warn: () => undefined });
    let result: Awaited<ReturnType<SessionHealthIndicator['check']>> | undefined;
    void new SessionHealthIndicator(runtime).check().then((health) => (result = health));
    await jest.advanceTimersByTimeAsync(STORE_TIMEOUT - 1);
    expect(result).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(result).toEqual({
      status: 'down',
      responseTime: STORE_TIMEOUT,
      message: expect.stringMatching(/ping failed \(no answer in 300 ms\)/),
    });
  });
});
