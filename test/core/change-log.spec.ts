import fc from 'fast-check';
import { ChangeLog, USER_BINDING_SEGMENT } from '../../src/core/change-log.js';
import { SessionTooLargeError } from '../../src/core/errors.js';
import {
  newRecord,
  segmentOf,
  serializeRecord,
  type SessionRecord,
} from '../../src/core/session-record.js';

const SEGMENT = 'App\\Cart';

/** A log whose budget starts from `record`'s exact size, as a request's does once loaded. */
function logFor(record: SessionRecord, maxSize: number): ChangeLog {
  const log = new ChangeLog(maxSize);
  log.reset(Buffer.byteLength(serializeRecord(record)));
  return log;
}

function recordWith(values: Record<string, unknown>, flash: Record<string, unknown> = {}) {
  const record = newRecord(1_700_000_000_000);
  const segment = segmentOf(record, SEGMENT);
  for (const [k, v] of Object.entries(values)) segment.values.set(k, v);
  for (const [k, v] of Object.entries(flash)) segment.flash.set(k, v);
  return record;
}

describe('ChangeLog.record', () => {
  it('applies a change to the record and logs it for the commit', () => {
    const record = recordWith({});
    const log = logFor(record, 65_536);
    log.record(record, { kind: 'set', segment: SEGMENT, key: 'a', value: 1 });
    expect(record.segments.get(SEGMENT)!.values.get('a')).toBe(1);
    expect(log.take()).toEqual([{ kind: 'set', segment: SEGMENT, key: 'a', value: 1 }]);
  });

  it('hands each change to one commit only: take() empties the log', () => {
    const record = recordWith({});
    const log = logFor(record, 65_536);
    log.record(record, { kind: 'remove', segment: SEGMENT, key: 'a' });
    expect(log.take()).toHaveLength(1);
    expect(log.length).toBe(0);
    expect(log.take()).toEqual([]);
  });

  it('replays the logged changes, in order, onto another record', () => {
    const mine = recordWith({ a: 1 });
    const log = logFor(mine, 65_536);
    log.record(mine, { kind: 'set', segment: SEGMENT, key: 'a', value: 2 });
    log.record(mine, { kind: 'remove', segment: SEGMENT, key: 'b' });
    const stored = recordWith({ a: 1, b: 'theirs', c: 'theirs' });
    log.replayOnto(stored);
    expect(Object.fromEntries(stored.segments.get(SEGMENT)!.values)).toEqual({ a: 2, c: 'theirs' });
  });

  it('forgets every change and kept flash on reset, with the new size as its bound', () => {
    const record = recordWith({}, { notice: 'hi' });
    const log = logFor(record, 65_536);
    log.keepFlash(SEGMENT);
    log.record(record, { kind: 'set', segment: SEGMENT, key: 'a', value: 1 });
    log.reset(42);
    expect(log.length).toBe(0);
    expect(log.keepsFlash).toBe(false);
    expect(log.sizeBound).toBe(42);
  });
});

describe('ChangeLog.keepFlash', () => {
  const consume = (segment: string, key: string, value: unknown) =>
    ({ kind: 'consumeFlash', segment, key, json: JSON.stringify(value) }) as const;

  it("drops the segment's consumptions already logged, and only that segment's", () => {
    const record = recordWith({}, { notice: 'hi' });
    segmentOf(record, 'App\\Other').flash.set('x', 1);
    const log = logFor(record, 65_536);
    log.record(record, consume(SEGMENT, 'notice', 'hi'));
    log.record(record, consume('App\\Other', 'x', 1));
    log.record(record, { kind: 'set', segment: SEGMENT, key: 'a', value: 1 });
    log.keepFlash(SEGMENT);
    expect(log.take()).toEqual([
      consume('App\\Other', 'x', 1),
      { kind: 'set', segment: SEGMENT, key: 'a', value: 1 },
    ]);
  });

  it("applies later consumptions of the kept segment to the request's copy but never logs them", () => {
    const record = recordWith({}, { notice: 'hi' });
    const log = logFor(record, 65_536);
    log.keepFlash(SEGMENT);
    log.record(record, consume(SEGMENT, 'notice', 'hi'));
    expect(record.segments.get(SEGMENT)!.flash.has('notice')).toBe(false);
    expect(log.length).toBe(0);
  });

  it('makes a commit replay onto the stored record, which still holds the kept values', () => {
    const log = new ChangeLog(65_536);
    expect(log.keepsFlash).toBe(false);
    log.keepFlash(SEGMENT);
    expect(log.keepsFlash).toBe(true);
  });

  it('leaves the consumed flash value in the stored record a replay starts from', () => {
    const mine = recordWith({}, { notice: 'hi' });
    const log = logFor(mine, 65_536);
    log.record(mine, consume(SEGMENT, 'notice', 'hi'));
    log.keepFlash(SEGMENT);
    const stored = recordWith({}, { notice: 'hi' });
    log.replayOnto(stored);
    expect(stored.segments.get(SEGMENT)!.flash.get('notice')).toBe('hi');
  });
});

describe('ChangeLog.keepFlash after a commit in the request', () => {
  const consume = (segment: string, key: string, value: unknown) =>
    ({ kind: 'consumeFlash', segment, key, json: JSON.stringify(value) }) as const;

  /** A log whose consumption of `notice` (and of `App\\Other`'s `x`) a commit took. */
  function committedRead() {
    const mine = recordWith({}, { notice: { text: 'hi' } });
    segmentOf(mine, 'App\\Other').flash.set('x', 1);
    const log = logFor(mine, 65_536);
    log.record(mine, consume(SEGMENT, 'notice', { text: 'hi' }));
    log.record(mine, consume('App\\Other', 'x', 1));
    log.take();
    return { mine, log };
  }

  it("logs the segment's committed consumptions to be stored again, and only that segment's", () => {
    const { log } = committedRead();
    log.keepFlash(SEGMENT);
    const stored = recordWith({});
    log.replayOnto(stored);
    expect(stored.segments.get(SEGMENT)!.flash.get('notice')).toEqual({ text: 'hi' });
    expect(stored.segments.get('App\\Other')).toBeUndefined();
    expect(log.keepsFlash).toBe(true);
  });

  it('stores them again once only, however often keepFlash() is called', () => {
    const { log } = committedRead();
    log.keepFlash(SEGMENT);
    expect(log.take()).toHaveLength(1);
    log.keepFlash(SEGMENT);
    expect(log.length).toBe(0);
  });

  it('leaves a newer flash value set under the same key meanwhile', () => {
    const { log } = committedRead();
    log.keepFlash(SEGMENT);
    const stored = recordWith({}, { notice: 'newer' });
    log.replayOnto(stored);
    expect(stored.segments.get(SEGMENT)!.flash.get('notice')).toBe('newer');
  });

  it('forgets the committed consumptions of a session forgotten', () => {
    const { log } = committedRead();
    log.reset(0);
    log.keepFlash(SEGMENT);
    expect(log.length).toBe(0);
  });
});

describe('ChangeLog.recordWithinLimit', () => {
  it('accepts a write within the budget and grows its bound', () => {
    const record = recordWith({});
    const log = logFor(record, 65_536);
    const before = log.sizeBound;
    log.recordWithinLimit(record, {
      kind: 'set',
      segment: SEGMENT,
      key: 'a',
      value: 'x'.repeat(10),
    });
    expect(record.segments.get(SEGMENT)!.values.get('a')).toBe('x'.repeat(10));
    expect(log.length).toBe(1);
    expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
    expect(log.sizeBound).toBeGreaterThan(before);
  });

  it('never counts a session smaller than it is, whatever the names, keys and values', () => {
    // The bound is what lets a write skip the exact measure: below the real size, maxSize breaks.
    const change = fc.record({
      kind: fc.constantFrom('set' as const, 'setFlash' as const),
      segment: fc.string({ unit: 'binary' }),
      key: fc.string({ unit: 'binary' }),
      value: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 8 }), (changes) => {
        const record = newRecord(1_700_000_000_000);
        const log = logFor(record, Number.MAX_SAFE_INTEGER);
        for (const c of changes) {
          log.recordWithinLimit(record, c);
          expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
        }
      }),
    );
  });

  it('counts the escapes of quotes and backslashes in names, keys and string values', () => {
    // Aura-style names ("App\\Cart") are counted without JSON.stringify: each escape is a byte more.
    const ascii = fc.string({ unit: fc.constantFrom('"', '\\', 'a', ' ', '~'), maxLength: 200 });
    const change = fc.record({
      kind: fc.constantFrom('set' as const, 'setFlash' as const),
      segment: ascii,
      key: ascii,
      value: ascii,
    });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (changes) => {
        const record = newRecord(1_700_000_000_000);
        const log = logFor(record, Number.MAX_SAFE_INTEGER);
        for (const c of changes) {
          log.recordWithinLimit(record, c);
          expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
        }
      }),
    );
  });

  it('refuses a new key that would break maxSize, naming the segment and the sizes', () => {
    const record = recordWith({ a: 'kept' });
    const maxSize = Buffer.byteLength(serializeRecord(record)) + 50;
    const log = logFor(record, maxSize);
    let error: unknown;
    try {
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'big',
        value: 'x'.repeat(100),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionTooLargeError);
    const tooLarge = error as SessionTooLargeError;
    expect(tooLarge.segment).toBe(SEGMENT);
    expect(tooLarge.maxSize).toBe(maxSize);
    expect(tooLarge.size).toBeGreaterThan(maxSize);
  });

  it('leaves the record, the log and the bound as they were when it refuses a new key', () => {
    const record = recordWith({ a: 'kept' }, { notice: 'hi' });
    const before = serializeRecord(record);
    const log = logFor(record, Buffer.byteLength(before) + 50);
    const bound = log.sizeBound;
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'big',
        value: 'x'.repeat(100),
      }),
    ).toThrow(SessionTooLargeError);
    expect(serializeRecord(record)).toBe(before);
    expect(record.segments.get(SEGMENT)!.values.has('big')).toBe(false);
    expect(log.length).toBe(0);
    expect(log.sizeBound).toBe(bound);
  });

  it('restores the previous value when it refuses an overwrite', () => {
    const record = recordWith({ a: 'small' });
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)) + 50);
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'a',
        value: 'x'.repeat(100),
      }),
    ).toThrow(SessionTooLargeError);
    expect(record.segments.get(SEGMENT)!.values.get('a')).toBe('small');
  });

  it('restores the previous flash value when it refuses a flash overwrite', () => {
    const record = recordWith({}, { notice: 'small' });
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)) + 50);
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'setFlash',
        segment: SEGMENT,
        key: 'notice',
        value: 'x'.repeat(100),
      }),
    ).toThrow(SessionTooLargeError);
    expect(record.segments.get(SEGMENT)!.flash.get('notice')).toBe('small');
    expect(record.segments.get(SEGMENT)!.values.size).toBe(0);
  });

  it('refuses a write into a segment that does not exist yet without storing anything', () => {
    const record = newRecord(0);
    const before = serializeRecord(record);
    const log = logFor(record, Buffer.byteLength(before) + 20);
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: 'App\\New',
        key: 'k',
        value: 'x'.repeat(50),
      }),
    ).toThrow(SessionTooLargeError);
    expect(serializeRecord(record)).toBe(before);
    expect(record.segments.get('App\\New')?.values.has('k') ?? false).toBe(false);
  });

  it('lets through a write the bound doubts but the exact size allows, then tracks the exact size', () => {
    // Overwriting one key again and again: the bound adds up every write, the session does not.
    const record = recordWith({});
    const maxSize = Buffer.byteLength(serializeRecord(record)) + 200;
    const log = logFor(record, maxSize);
    for (let i = 0; i < 10; i++) {
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'a',
        value: 'x'.repeat(60) + i,
      });
    }
    expect(record.segments.get(SEGMENT)!.values.get('a')).toBe('x'.repeat(60) + 9);
    expect(log.sizeBound).toBeLessThanOrEqual(maxSize);
    expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
    expect(log.length).toBe(10);
  });

  it('accepts a write that lands exactly on maxSize', () => {
    const record = recordWith({});
    const probe = recordWith({ a: 'x'.repeat(100) });
    const exact = Buffer.byteLength(serializeRecord(probe));
    const log = logFor(record, exact);
    log.recordWithinLimit(record, {
      kind: 'set',
      segment: SEGMENT,
      key: 'a',
      value: 'x'.repeat(100),
    });
    expect(serializeRecord(record)).toBe(serializeRecord(probe));
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'a',
        value: 'x'.repeat(101),
      }),
    ).toThrow(SessionTooLargeError);
  });
});

describe('ChangeLog: a session already over maxSize', () => {
  // Another request's CSRF secret, or a lower maxSize since it was stored, can leave it there.
  const over = () => {
    const record = recordWith({ a: 'x'.repeat(100), b: 'y'.repeat(100) });
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)) - 50);
    return { record, log };
  };

  it('lets a replacement by a value no bigger through, and counts it in the bound', () => {
    const { record, log } = over();
    log.recordWithinLimit(record, {
      kind: 'set',
      segment: SEGMENT,
      key: 'a',
      value: 'z'.repeat(100),
    });
    log.recordWithinLimit(record, { kind: 'set', segment: SEGMENT, key: 'b', value: 'short' });
    expect(Object.fromEntries(record.segments.get(SEGMENT)!.values)).toEqual({
      a: 'z'.repeat(100),
      b: 'short',
    });
    expect(log.length).toBe(2);
    expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
  });

  it('refuses a new key or a bigger value, leaving the record as it was', () => {
    const { record, log } = over();
    const before = serializeRecord(record);
    expect(() =>
      log.recordWithinLimit(record, { kind: 'set', segment: SEGMENT, key: 'c', value: 1 }),
    ).toThrow(SessionTooLargeError);
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'setFlash',
        segment: SEGMENT,
        key: 'n',
        value: 'f',
      }),
    ).toThrow(SessionTooLargeError);
    expect(() =>
      log.recordWithinLimit(record, {
        kind: 'set',
        segment: SEGMENT,
        key: 'a',
        value: 'x'.repeat(101),
      }),
    ).toThrow(SessionTooLargeError);
    expect(serializeRecord(record)).toBe(before);
    expect(log.length).toBe(0);
  });

  it('lets through a merge over maxSize whose only write did not grow the session', () => {
    const { record, log } = over();
    log.recordWithinLimit(record, {
      kind: 'set',
      segment: SEGMENT,
      key: 'a',
      value: 'z'.repeat(100),
    });
    const changes = log.take();
    const merged = recordWith({ a: 'z'.repeat(100), b: 'y'.repeat(100), theirs: 1 });
    expect(log.assertMergedWithinLimit(merged, changes)).toBe(
      Buffer.byteLength(serializeRecord(merged)),
    );
  });
});

describe('ChangeLog.recordCsrf', () => {
  const secret = 's'.repeat(43);

  it('never refuses a CSRF secret, and counts it in the bound', () => {
    const record = recordWith({ a: 'x'.repeat(100) });
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)));
    log.recordCsrf(record, { kind: 'csrf', secret });
    expect(record.csrf).toBe(secret);
    expect(log.take()).toEqual([{ kind: 'csrf', secret }]);
    expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
    // The session is now over maxSize: what grows it further is refused.
    expect(() =>
      log.recordWithinLimit(record, { kind: 'set', segment: SEGMENT, key: 'b', value: 1 }),
    ).toThrow(SessionTooLargeError);
  });
});

describe('ChangeLog.recordBinding', () => {
  const binding = (id: string) => ({ id, handle: 'h'.repeat(22), indexUntil: 0 });

  it('counts a binding with the room its index expiry takes once written', () => {
    const record = recordWith({});
    const log = logFor(record, 65_536);
    const user = binding('alice');
    log.recordBinding(record, { kind: 'bindUser', user });
    expect(record.user).toBe(user);
    record.user = { ...user, indexUntil: Date.now() + 86_400_000 };
    expect(log.sizeBound).toBeGreaterThanOrEqual(Buffer.byteLength(serializeRecord(record)));
  });

  it('refuses a binding that would grow the session past maxSize, leaving it unbound', () => {
    const record = recordWith({ a: 'x'.repeat(100) });
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)) + 40);
    let error: unknown;
    try {
      log.recordBinding(record, { kind: 'bindUser', user: binding('u'.repeat(256)) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect((error as SessionTooLargeError).segment).toBe(USER_BINDING_SEGMENT);
    expect(record.user).toBeUndefined();
    expect(log.length).toBe(0);
  });

  it('lets a rebinding to an id no longer through on a full session', () => {
    const record = recordWith({ a: 'x'.repeat(100) });
    record.user = binding('alice');
    const log = logFor(record, Buffer.byteLength(serializeRecord(record)));
    log.recordBinding(record, { kind: 'bindUser', user: binding('bob') });
    expect(record.user.id).toBe('bob');
  });
});

describe('ChangeLog.assertMergedWithinLimit', () => {
  it('returns the exact size of a merged record within maxSize', () => {
    const merged = recordWith({ a: 1 });
    const log = new ChangeLog(65_536);
    expect(log.assertMergedWithinLimit(merged, [])).toBe(
      Buffer.byteLength(serializeRecord(merged)),
    );
  });

  it("refuses a merge over maxSize, blaming this request's last growing change", () => {
    const merged = recordWith({ theirs: 'x'.repeat(100), mine: 'y'.repeat(100) });
    const size = Buffer.byteLength(serializeRecord(merged));
    const log = new ChangeLog(size - 1);
    const changes = [
      { kind: 'set', segment: 'App\\First', key: 'k', value: 1 },
      { kind: 'setFlash', segment: SEGMENT, key: 'mine', value: 'y' },
      { kind: 'remove', segment: 'App\\Third', key: 'k' },
    ] as const;
    let error: unknown;
    try {
      log.assertMergedWithinLimit(merged, [...changes]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect((error as SessionTooLargeError).segment).toBe(SEGMENT);
    expect((error as SessionTooLargeError).size).toBe(size);
  });

  it('accepts a merge at exactly maxSize', () => {
    const merged = recordWith({ a: 'x'.repeat(100) });
    const size = Buffer.byteLength(serializeRecord(merged));
    const log = new ChangeLog(size);
    expect(
      log.assertMergedWithinLimit(merged, [{ kind: 'set', segment: SEGMENT, key: 'a', value: 1 }]),
    ).toBe(size);
  });

  it('lets through a merge over maxSize when this request only shrank the session', () => {
    // Another request made the session too large; a removal here must not be refused for it.
    const merged = recordWith({ theirs: 'x'.repeat(200) });
    const size = Buffer.byteLength(serializeRecord(merged));
    const log = new ChangeLog(size - 10);
    expect(
      log.assertMergedWithinLimit(merged, [{ kind: 'remove', segment: SEGMENT, key: 'mine' }]),
    ).toBe(size);
  });
});
