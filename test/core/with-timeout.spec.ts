import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SessionStoreUnavailableError } from '../../src/core/errors.js';
import { withTimeout } from '../../src/core/with-timeout.js';

/** A store call that answers only when told to. */
function pending<T>() {
  let answer!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const work = new Promise<T>((resolve, reject) => {
    answer = { resolve, reject };
  });
  return { work, answer: () => answer };
}

/** What `promise` has come to so far: `'pending'`, or its value or error. */
function observe<T>(promise: Promise<T>): () => unknown {
  let state: unknown = 'pending';
  promise.then(
    (value) => (state = value),
    (error: unknown) => (state = error),
  );
  return () => state;
}

const ref = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('withTimeout', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it("settles with the call's answer, or its failure as a store failure", async () => {
    await expect(withTimeout('load', Promise.resolve('found'), 1000)).resolves.toBe('found');
    const failed = withTimeout('load', Promise.reject(new Error('ECONNRESET')), 1000);
    await expect(failed).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(failed).rejects.toMatchObject({ cause: { message: 'ECONNRESET' } });
  });

  it('rejects each call that does not answer at its own deadline, not before', async () => {
    jest.useFakeTimers();
    const [slow, fast, slowest] = [100, 50, 200].map((ms) =>
      observe(withTimeout('commit', pending<string>().work, ms)),
    );
    await jest.advanceTimersByTimeAsync(49);
    expect([slow(), fast(), slowest()]).toEqual(['pending', 'pending', 'pending']);
    await jest.advanceTimersByTimeAsync(1);
    expect(fast()).toBeInstanceOf(SessionStoreUnavailableError);
    expect((fast() as Error).message).toMatch(/commit.*no answer in 50 ms/s);
    expect([slow(), slowest()]).toEqual(['pending', 'pending']);
    await jest.advanceTimersByTimeAsync(49);
    expect(slow()).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(slow()).toBeInstanceOf(SessionStoreUnavailableError);
    await jest.advanceTimersByTimeAsync(99);
    expect(slowest()).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(slowest()).toBeInstanceOf(SessionStoreUnavailableError);
  });

  it('never rejects a call that answered in time, and keeps timing the later ones', async () => {
    jest.useFakeTimers();
    const first = pending<string>();
    const answered = observe(withTimeout('load', first.work, 100));
    await jest.advanceTimersByTimeAsync(10);
    const later = observe(withTimeout('load', pending<string>().work, 100));
    first.answer().resolve('found');
    await jest.advanceTimersByTimeAsync(100);
    expect(answered()).toBe('found');
    expect(later()).toBeInstanceOf(SessionStoreUnavailableError);
  });

  it('keeps timing the calls in flight when the system clock jumps', async () => {
    jest.useFakeTimers();
    const before = observe(withTimeout('load', pending<string>().work, 100));
    await jest.advanceTimersByTimeAsync(10);
    jest.setSystemTime(Date.now() + 3_600_000);
    const after = observe(withTimeout('load', pending<string>().work, 100));
    await jest.advanceTimersByTimeAsync(89);
    expect([before(), after()]).toEqual(['pending', 'pending']);
    await jest.advanceTimersByTimeAsync(1);
    expect(before()).toBeInstanceOf(SessionStoreUnavailableError);
    expect(after()).toBe('pending');
    await jest.advanceTimersByTimeAsync(10);
    expect(after()).toBeInstanceOf(SessionStoreUnavailableError);
  });

  it('holds the process open only while a call waits', async () => {
    const before = ref();
    // The second call finds the timer the first one left behind, no longer holding the process.
    for (let calls = 0; calls < 2; calls++) {
      const call = pending<string>();
      const result = withTimeout('load', call.work, 60_000);
      expect(ref()).toBe(before + 1);
      call.answer().resolve('found');
      await result;
      expect(ref()).toBe(before);
    }
  });

  it('times calls out on real timers after a test left its timer on fake ones', async () => {
    jest.useFakeTimers();
    const answered = pending<string>();
    const early = withTimeout('load', answered.work, 5);
    answered.answer().resolve('found');
    await early;
    jest.useRealTimers();
    await expect(withTimeout('load', pending<string>().work, 5)).rejects.toBeInstanceOf(
      SessionStoreUnavailableError,
    );
  });
});
