import { SessionStoreUnavailableError } from './errors.js';

/**
 * Settles like `work`, or rejects with {@link SessionStoreUnavailableError} after `ms`. A store
 * that hangs (Redis's offline queue does, by default) must cost a request `storeTimeout`, not
 * forever. A late failure of `work` is observed here so it never becomes an unhandled rejection.
 */
export function withTimeout<T>(operation: string, work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SessionStoreUnavailableError(operation, new Error(`no answer in ${ms} ms`))),
      ms,
    );
  });
  const guarded = work.then(
    (value) => value,
    (error: unknown) => {
      throw error instanceof SessionStoreUnavailableError
        ? error
        : new SessionStoreUnavailableError(operation, error);
    },
  );
  return Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
}
