import { jest } from '@jest/globals';

/** A clock a test moves by hand: idle and absolute timeouts without waiting on real time. */
export interface FakeClock {
  /** Moves the clock `ms` forward, running any faked interval that falls due. */
  advance(ms: number): void;
}

/**
 * For the enclosing `describe`: `Date` (and with `intervals`, `setInterval`) stand still between
 * the test's own `advance` calls. `setTimeout`, `setImmediate` and the rest stay real, so the
 * HTTP servers, clients and store timeouts of an app under test work as usual. An app whose
 * intervals must be faked has to be started inside the test (after this hook ran).
 */
export function fakeClock(options: { intervals?: boolean } = {}): FakeClock {
  const faked = options.intervals ? ['Date', 'setInterval', 'clearInterval'] : ['Date'];
  beforeEach(() => {
    jest.useFakeTimers({
      doNotFake: ALL_FAKEABLE.filter((api) => !faked.includes(api)),
    });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  return {
    advance(ms) {
      jest.advanceTimersByTime(ms);
    },
  };
}

const ALL_FAKEABLE = [
  'Date',
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;
