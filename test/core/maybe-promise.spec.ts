import { then } from '../../src/core/maybe-promise.js';

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
