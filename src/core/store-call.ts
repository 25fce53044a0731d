import { SessionStoreUnavailableError } from './errors.js';
import type { MaybePromise } from './session-store.js';
import { withTimeout } from './with-timeout.js';

/**
 * The result of a store call, bounded by `deadline` (epoch ms): the request's whole wait for the
 * store, however many calls (and retries) it makes, stays within `storeTimeout`. A store that
 * answers synchronously (the built-in memory store) pays for no timer and no promise.
 */
export function settle<T>(
  result: MaybePromise<T>,
  operation: string,
  deadline: number,
): MaybePromise<T> {
  if (!(result instanceof Promise)) return result;
  return withTimeout(operation, result, Math.max(1, deadline - Date.now()));
}

/**
 * Ends a compare-and-set retry loop that lost to other writers until `deadline`: contention that
 * outlasts `storeTimeout` is answered like a store that does not answer.
 */
export function retryBefore(deadline: number): void {
  if (Date.now() >= deadline) {
    throw new SessionStoreUnavailableError('commit', new Error('too many concurrent writes'));
  }
}
