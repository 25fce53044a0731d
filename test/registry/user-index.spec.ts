import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { resolveSessionConfig } from '../../src/core/session-options.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { loadIndex, nextSeq, updateIndex } from '../../src/core/user-index.js';
import { KeyvSessionStore } from '../../src/storage/keyv-session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';

const logger = { warn: () => undefined, error: () => undefined, log: () => undefined };

function runtimeOn(store: 'memory' | 'keyv'): SessionRuntime {
  const config = resolveSessionConfig({});
  const sessionStore =
    store === 'memory'
      ? new MemorySessionStore()
      : new KeyvSessionStore(createCache({ stores: [new Keyv()] }));
  return new SessionRuntime(config, sessionStore, logger as never);
}

describe.each(['memory', 'keyv'] as const)("a user's index (%s store)", (store) => {
  it('keeps every entry of concurrent first writes of one user, numbered 1 to 10 as they land', async () => {
    const runtime = runtimeOn(store);
    const deadline = Date.now() + 2000;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        updateIndex(
          runtime,
          'dave',
          deadline,
          (entries) => {
            const at = Date.now();
            const seq = nextSeq(entries);
            entries.set(`handle-${i}`, { key: `key-${i}`, at, createdAt: at, seq });
            return true;
          },
          true,
        ),
      ),
    );
    const index = await loadIndex(runtime, 'dave', deadline);
    expect([...index.entries.keys()].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `handle-${i}`).sort(),
    );
    expect(index.until).toBeGreaterThan(Date.now());
    const seqs = [...index.entries.values()].map((entry) => entry.seq!).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('keys the index by a hash of the user id: the store never sees the id', async () => {
    const runtime = runtimeOn(store);
    const keys: string[] = [];
    const load = runtime.store.load.bind(runtime.store);
    runtime.store.load = (key) => {
      keys.push(key);
      return load(key);
    };
    await loadIndex(runtime, 'erin@example.com', Date.now() + 2000);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^sess:user:[A-Za-z0-9_-]{43}$/);
    expect(keys[0]).not.toContain('erin');
  });
});
