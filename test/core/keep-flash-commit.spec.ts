import { ChangeLog } from '../../src/core/change-log.js';
import { commitChanges } from '../../src/core/session-commit.js';
import { newRecord, serializeRecord } from '../../src/core/session-record.js';
import { resolveSessionConfig } from '../../src/core/session-options.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import type { StoreLookup } from '../../src/core/session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';

const SEGMENT = 'App\\Flash';
const KEY = 'sess:new';

function flashOf(found: StoreLookup): Record<string, unknown> {
  if (typeof found !== 'object') throw new Error(`no session stored: ${String(found)}`);
  return Object.fromEntries(found.record.segments.get(SEGMENT)?.flash ?? []);
}

describe('keepFlash() in the commit of a new session', () => {
  it('stores a flash value set, read and kept in the request that started the session', () => {
    const store = new MemorySessionStore();
    const runtime = new SessionRuntime(resolveSessionConfig({}), store, {
      warn: () => undefined,
    });
    const now = Date.now();
    const mine = newRecord(now - 1000);
    const log = new ChangeLog(runtime.config.maxSize);
    log.startAt(Buffer.byteLength(serializeRecord(mine)));
    log.recordWithinLimit(mine, { kind: 'setFlash', segment: SEGMENT, key: 'notice', value: 'hi' });
    log.record(mine, { kind: 'consumeFlash', segment: SEGMENT, key: 'notice', json: '"hi"' });
    log.keepFlash(SEGMENT);

    const result = commitChanges({
      runtime,
      now,
      deadline: now + runtime.config.storeTimeout,
      base: undefined,
      baseKey: undefined,
      key: KEY,
      moving: false,
      candidate: undefined,
      fresh: mine,
      changes: log.take(),
      log,
    });

    expect(result).toMatchObject({ outcome: 'stored' });
    const stored = store.load(KEY);
    expect(flashOf(stored)).toEqual({ notice: 'hi' });
    expect(typeof stored === 'object' && stored.record.createdAt).toBe(now - 1000);
  });
});

describe('ChangeLog.startAt', () => {
  it('keeps a keepFlash() made before the session was there', () => {
    const log = new ChangeLog(4096);
    log.keepFlash(SEGMENT);
    log.startAt(42);
    expect(log.sizeBound).toBe(42);
    expect(log.keepsFlash).toBe(true);
  });
});
