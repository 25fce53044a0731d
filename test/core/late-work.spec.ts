import { jest } from '@jest/globals';
import { LateWork } from '../../src/core/late-work.js';

/** A promise and the function that resolves it. */
function pending(): { work: Promise<void>; finish(): void } {
  let finish!: () => void;
  const work = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { work, finish };
}

describe('LateWork (store work that outlives its request)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('settles at once when nothing is under way', async () => {
    await expect(new LateWork().settle(1000)).resolves.toBe(0);
  });

  it('counts work until it settles, fulfilled or rejected', async () => {
    const late = new LateWork();
    const a = pending();
    const b = Promise.reject(new Error('lost'));
    late.add(a.work);
    late.add(b);
    expect(late.size).toBe(2);
    await b.catch(() => undefined);
    await Promise.resolve();
    expect(late.size).toBe(1);
    a.finish();
    await a.work;
    await Promise.resolve();
    expect(late.size).toBe(0);
  });

  it('waits for the work under way, and for work added while it waits', async () => {
    const late = new LateWork();
    const a = pending();
    const b = pending();
    late.add(a.work);
    let left: number | undefined;
    const settling = late.settle(1000).then((n) => {
      left = n;
    });
    await jest.advanceTimersByTimeAsync(100);
    late.add(b.work);
    a.finish();
    await jest.advanceTimersByTimeAsync(100);
    expect(left).toBeUndefined();
    b.finish();
    await jest.advanceTimersByTimeAsync(0);
    await settling;
    expect(left).toBe(0);
  });

  it('gives up after its time, answering how much is still under way', async () => {
    const late = new LateWork();
    late.add(pending().work);
    let left: number | undefined;
    const settling = late.settle(1000).then((n) => {
      left = n;
    });
    await jest.advanceTimersByTimeAsync(999);
    expect(left).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await settling;
    expect(left).toBe(1);
  });
});
