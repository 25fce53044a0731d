import { promised, then } from '../../src/core/maybe-promise.js';

describe('then', () => {
  it('runs the next step at once on a plain value', () => {
    expect(then(2, (n) => n + 1)).toBe(3);
  });

  it('runs the next step once a promise settles', async () => {
    const next = then(Promise.resolve(2), (n) => n + 1);
    expect(next).toBeInstanceOf(Promise);
    expect(await next).toBe(3);
  });
});

describe('promised', () => {
  it('resolves to a plain value', async () => {
    expect(await promised(() => 'now')).toBe('now');
  });

  it('turns a throw into a rejection, like an async function', async () => {
    const failure = new RangeError('refused');
    const result = promised(() => {
      throw failure;
    });
    await expect(result).rejects.toBe(failure);
  });

  it('hands on the promise it is given, rejection included', async () => {
    const failure = new Error('store down');
    await expect(promised(() => Promise.reject(failure))).rejects.toBe(failure);
    await expect(promised(() => Promise.resolve(5))).resolves.toBe(5);
  });
});
