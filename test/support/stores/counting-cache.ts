import { createKeyv } from '@cacheable/memory';
import { createCache, type Cache } from 'cache-manager';
import type { Keyv } from 'keyv';

/** Store calls seen by a {@link countingCache}; `get` counts reads through `get` or `getRaw`. */
export interface StoreCalls {
  get: number;
  set: number;
  delete: number;
  total(): number;
  reset(): void;
}

/** An in-memory cache-manager cache that counts every call reaching its Keyv store. */
export function countingCache(): { cache: Cache; calls: StoreCalls; keyv: Keyv } {
  const keyv = createKeyv({ useClone: false });
  const calls: StoreCalls = {
    get: 0,
    set: 0,
    delete: 0,
    total() {
      return this.get + this.set + this.delete;
    },
    reset() {
      this.get = this.set = this.delete = 0;
    },
  };
  // `getRaw` is a read too: the library reads through it (see watched-keyv.ts).
  for (const method of ['get', 'getRaw', 'set', 'delete'] as const) {
    const original = keyv[method].bind(keyv) as (...args: unknown[]) => Promise<unknown>;
    (keyv as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls[method === 'getRaw' ? 'get' : method]++;
      return original(...args);
    };
  }
  return { cache: createCache({ stores: [keyv] }), calls, keyv };
}
