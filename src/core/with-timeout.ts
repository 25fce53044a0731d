import { SessionStoreUnavailableError } from './errors.js';

/**
 * Settles like `work`, or rejects with {@link SessionStoreUnavailableError} after `ms`. A store
 * that hangs (Redis's offline queue does, by default) must cost a request `storeTimeout`, not
 * forever. A late failure of `work` is observed here so it never becomes an unhandled rejection.
 */
export function withTimeout<T>(operation: string, work: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer per store call: this runs on every request that uses the session.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SessionStoreUnavailableError(operation, new Error(`no answer in ${ms} ms`))),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(
          error instanceof SessionStoreUnavailableError
            ? error
            : new SessionStoreUnavailableError(operation, error),
        );
      },
    );
  });
}
