import type { MaybePromise } from './session-store.js';

/** `next(value)`: at once for a plain value, once it settles for a promise. */
export function then<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
