import type { MaybePromise } from './session-store.js';

/** `next(value)`: at once for a plain value, once it settles for a promise. */
export function then<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * What `work` returns, as a promise that a throw rejects, like an `async` function's. Unlike
 * one, it adds no microtask when `work` answers synchronously: a segment read on a loaded session
 * costs its caller a single `await`.
 */
export function promised<T>(work: () => MaybePromise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
