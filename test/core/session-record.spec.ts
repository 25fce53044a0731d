import fc from 'fast-check';
import { assertJsonValue } from '../../src/core/json-value.js';
import { applyChange, type SessionChange } from '../../src/core/session-change.js';
import {
  copyRecord,
  newRecord,
  parseRecord,
  segmentOf,
  serializeRecord,
  type SessionRecord,
} from '../../src/core/session-record.js';

function recordWith(
  segments: Record<string, { values?: [string, unknown][]; flash?: [string, unknown][] }>,
): SessionRecord {
  const record = newRecord(1_700_000_000_000);
  for (const [name, { values = [], flash = [] }] of Object.entries(segments)) {
    const segment = segmentOf(record, name);
    for (const [k, v] of values) segment.values.set(k, v);
    for (const [k, v] of flash) segment.flash.set(k, v);
  }
  return record;
}

/** `levels` arrays, each inside the one before, as JSON text. */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** A record whose segment `A` holds `values` and `flash`, given as JSON texts of their values. */
function withValue(values: Record<string, string>, flash: Record<string, string> = {}): string {
  const members = (entries: Record<string, string>) =>
    Object.entries(entries).map(([key, json]) => `${JSON.stringify(key)}:${json}`);
  return `{"v":1,"createdAt":1000,"lastSeen":2000,"segments":{"A":{"values":{${members(values)}},"flash":{${members(flash)}}}}}`;
}

const VALID = {
  v: 1,
  createdAt: 1000,
  lastSeen: 2000,
  segments: { 'App\\A': { values: { a: 1 }, flash: { f: 'x' } } },
};

describe('newRecord and segmentOf', () => {
  it('creates an empty record stamped with the given time', () => {
    const record = newRecord(1234);
    expect(record).toEqual({ createdAt: 1234, lastSeen: 1234, segments: new Map() });
    expect(record.csrf).toBeUndefined();
  });

  it('creates a missing segment once and returns the same one after', () => {
    const record = newRecord(0);
    const first = segmentOf(record, 'App\\A');
    first.values.set('k', 1);
    expect(segmentOf(record, 'App\\A')).toBe(first);
    expect(record.segments.size).toBe(1);
  });
});

describe('copyRecord', () => {
  const original = () => {
    const record = recordWith({
      'App\\A': {
        values: [
          ['a', 1],
          ['__proto__', { x: 1 }],
        ],
        flash: [['f', 'x']],
      },
      'App\\B': { values: [['b', [2]]] },
    });
    record.csrf = 'secret';
    return record;
  };

  it('holds the same data, __proto__ keys included', () => {
    const record = original();
    expect(serializeRecord(copyRecord(record))).toBe(serializeRecord(record));
  });

  it('takes every kind of change without touching the original', () => {
    const changes: SessionChange[] = [
      { kind: 'set', segment: 'App\\A', key: 'added', value: true },
      { kind: 'set', segment: 'App\\New', key: 'n', value: 1 },
      { kind: 'remove', segment: 'App\\A', key: 'a' },
      { kind: 'clearSegment', segment: 'App\\B' },
      { kind: 'setFlash', segment: 'App\\B', key: 'g', value: 'y' },
      { kind: 'consumeFlash', segment: 'App\\A', key: 'f', json: '"x"' },
      { kind: 'clearFlash', segment: 'App\\A' },
      { kind: 'clearAll' },
    ];
    for (const change of changes) {
      const record = original();
      const before = serializeRecord(record);
      const copy = copyRecord(record);
      applyChange(copy, change);
      expect(serializeRecord(copy)).not.toBe(before);
      expect(serializeRecord(record)).toBe(before);
    }
  });

  it('copies only the maps a change alters: a write costs the segment it writes to', () => {
    const record = original();
    const copy = copyRecord(record);
    applyChange(copy, { kind: 'set', segment: 'App\\A', key: 'a', value: 2 });
    const [a, b] = ['App\\A', 'App\\B'].map((name) => copy.segments.get(name)!);
    expect(a!.values).not.toBe(record.segments.get('App\\A')!.values);
    expect(a!.flash).toBe(record.segments.get('App\\A')!.flash);
    expect(b!.values).toBe(record.segments.get('App\\B')!.values);
    // A change that alters nothing copies nothing.
    applyChange(copy, { kind: 'remove', segment: 'App\\B', key: 'missing' });
    applyChange(copy, { kind: 'clearFlash', segment: 'App\\B' });
    expect(b!.values).toBe(record.segments.get('App\\B')!.values);
    expect(b!.flash).toBe(record.segments.get('App\\B')!.flash);
  });

  it('a cleared segment written again, or cleared after a write, leaves the original as it was', () => {
    const record = original();
    const before = serializeRecord(record);
    const copy = copyRecord(record);
    applyChange(copy, { kind: 'clearSegment', segment: 'App\\A' });
    applyChange(copy, { kind: 'set', segment: 'App\\A', key: 'z', value: 9 });
    applyChange(copy, { kind: 'setFlash', segment: 'App\\A', key: 'g', value: 'y' });
    applyChange(copy, { kind: 'clearFlash', segment: 'App\\A' });
    expect(serializeRecord(record)).toBe(before);
    expect(JSON.parse(serializeRecord(copy)).segments['App\\A']).toEqual({
      values: { z: 9 },
      flash: {},
    });
  });

  it('a copy of a copy leaves both earlier records as they were', () => {
    const record = original();
    const first = copyRecord(record);
    applyChange(first, { kind: 'set', segment: 'App\\A', key: 'a', value: 2 });
    const [recordText, firstText] = [serializeRecord(record), serializeRecord(first)];
    const second = copyRecord(first);
    applyChange(second, { kind: 'set', segment: 'App\\A', key: 'a', value: 3 });
    applyChange(second, { kind: 'setFlash', segment: 'App\\B', key: 'g', value: 'y' });
    expect(serializeRecord(record)).toBe(recordText);
    expect(serializeRecord(first)).toBe(firstText);
    expect(JSON.parse(serializeRecord(second)).segments['App\\A'].values.a).toBe(3);
  });
});

describe('serializeRecord', () => {
  it('writes the versioned JSON shape', () => {
    const record = recordWith({ 'App\\A': { values: [['a', 1]], flash: [['f', 'x']] } });
    record.lastSeen = 1_700_000_000_500;
    record.csrf = 'secret';
    expect(JSON.parse(serializeRecord(record))).toEqual({
      v: 1,
      createdAt: 1_700_000_000_000,
      lastSeen: 1_700_000_000_500,
      csrf: 'secret',
      segments: { 'App\\A': { values: { a: 1 }, flash: { f: 'x' } } },
    });
  });

  it('leaves out empty segments and an absent CSRF secret', () => {
    const record = recordWith({ 'App\\Empty': {}, 'App\\Full': { values: [['a', 1]] } });
    const stored = JSON.parse(serializeRecord(record));
    expect(Object.keys(stored.segments)).toEqual(['App\\Full']);
    expect('csrf' in stored).toBe(false);
  });

  it('keeps a segment that only holds flash values', () => {
    const record = recordWith({ 'App\\Flash': { flash: [['notice', 'hi']] } });
    expect(JSON.parse(serializeRecord(record)).segments).toEqual({
      'App\\Flash': { values: {}, flash: { notice: 'hi' } },
    });
  });
  it('writes many distinct and long keys the same as a few short ones', () => {
    const keys = Array.from({ length: 1100 }, (_, n) => `key ${n} "${'x'.repeat(n % 90)}"\\`);
    const record = recordWith({
      'App\\Many': { values: keys.map((key, n) => [key, n]), flash: [] },
    });
    for (let round = 0; round < 2; round++) {
      const values = JSON.parse(serializeRecord(record)).segments['App\\Many'].values;
      expect(Object.keys(values)).toEqual(keys);
      expect(Object.values(values)).toEqual(keys.map((_, n) => n));
    }
  });

  it('writes JSON text of the stored shape', () => {
    const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    const entries = fc.array(fc.tuple(fc.string(), json), { maxLength: 4 });
    const binding = fc.record({ id: fc.string(), handle: fc.string(), indexUntil: fc.nat() });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.record({ values: entries, flash: entries }), {
          maxKeys: 3,
        }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(binding, { nil: undefined }),
        fc.boolean(),
        (segments, csrf, user, revoked) => {
          const record = recordWith(segments);
          if (csrf !== undefined) record.csrf = csrf;
          if (user !== undefined) record.user = user;
          if (revoked) record.revoked = true;
          const stored: Record<string, unknown> = {
            v: 1,
            createdAt: record.createdAt,
            lastSeen: record.lastSeen,
            segments: ownProperties(
              [...record.segments]
                .filter(([, s]) => s.values.size > 0 || s.flash.size > 0)
                .map(([name, s]) => [
                  name,
                  { values: ownProperties([...s.values]), flash: ownProperties([...s.flash]) },
                ]),
            ),
          };
          if (csrf !== undefined) stored.csrf = csrf;
          if (user !== undefined) stored.user = user;
          if (revoked) stored.revoked = true;
          expect(JSON.parse(serializeRecord(record))).toEqual(stored);
        },
      ),
    );
  });
});

/** An object with `entries` as own properties, `"__proto__"` included, in their order. */
function ownProperties(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

describe('parseRecord', () => {
  it('parses what serializeRecord wrote', () => {
    const record = recordWith({
      'App\\A': { values: [['a', { deep: [1, 2] }]], flash: [['f', 'x']] },
      'App\\B': { values: [['b', null]] },
    });
    record.csrf = 'secret';
    expect(parseRecord(serializeRecord(record))).toEqual(record);
  });

  it('keeps __proto__, constructor and prototype as ordinary keys and segment names', () => {
    const names = ['__proto__', 'constructor', 'prototype'];
    const record = recordWith(
      Object.fromEntries(
        names.map((name) => [
          name,
          { values: names.map((k): [string, unknown] => [k, { polluted: name }]) },
        ]),
      ),
    );
    const text = serializeRecord(record);
    const parsed = parseRecord(text)!;
    expect([...parsed.segments.keys()].sort()).toEqual([...names].sort());
    for (const name of names) {
      expect([...parsed.segments.get(name)!.values.keys()].sort()).toEqual([...names].sort());
      expect(parsed.segments.get(name)!.values.get('__proto__')).toEqual({ polluted: name });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not see inherited members as keys', () => {
    const parsed = parseRecord(JSON.stringify(VALID))!;
    const segment = parsed.segments.get('App\\A')!;
    expect(segment.values.has('toString')).toBe(false);
    expect(segment.values.has('constructor')).toBe(false);
    expect(parsed.segments.has('hasOwnProperty')).toBe(false);
  });

  it.each([
    ['a non-string', { ...VALID }],
    ['undefined', undefined],
    ['invalid JSON', '{"v":1,'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['another version', JSON.stringify({ ...VALID, v: 2 })],
    ['no version', JSON.stringify({ ...VALID, v: undefined })],
    ['a string createdAt', JSON.stringify({ ...VALID, createdAt: '1000' })],
    ['a negative lastSeen', JSON.stringify({ ...VALID, lastSeen: -1 })],
    ['no lastSeen', JSON.stringify({ ...VALID, lastSeen: undefined })],
    ['a numeric csrf', JSON.stringify({ ...VALID, csrf: 42 })],
    ['segments as an array', JSON.stringify({ ...VALID, segments: [] })],
    ['no segments', JSON.stringify({ ...VALID, segments: undefined })],
    ['a segment that is a string', JSON.stringify({ ...VALID, segments: { A: 'x' } })],
    ['a segment without flash', JSON.stringify({ ...VALID, segments: { A: { values: {} } } })],
    [
      'segment values as an array',
      JSON.stringify({ ...VALID, segments: { A: { values: [], flash: {} } } }),
    ],
    [
      'a user bound with an empty id',
      JSON.stringify({ ...VALID, user: { id: '', handle: 'h', indexUntil: 0 } }),
    ],
    ['a value nested 1001 levels deep', withValue({ deep: nested(1001) })],
    ['a flash value nested 1001 levels deep', withValue({}, { deep: nested(1001) })],
  ])('rejects %s', (_, text) => {
    expect(parseRecord(text)).toBeUndefined();
  });

  it('keeps a value nested 1000 levels deep, the most a session stores, and can write it back', () => {
    expect(() => assertJsonValue(JSON.parse(nested(1000)), 'deep')).not.toThrow();
    expect(() => assertJsonValue(JSON.parse(nested(1001)), 'deep')).toThrow(TypeError);
    const parsed = parseRecord(withValue({ deep: nested(1000) }))!;
    expect(parsed).toBeDefined();
    expect(JSON.stringify(parsed.segments.get('A')!.values.get('deep'))).toBe(nested(1000));
    expect(parseRecord(serializeRecord(parsed))).toEqual(parsed);
  });

  it('round-trips any record of JSON values', () => {
    // JSON has no -0: normalize it the way storage would before comparing.
    const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    const entries = fc.array(fc.tuple(fc.string(), json), { maxLength: 5 });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.record({ values: entries, flash: entries }), {
          maxKeys: 4,
        }),
        fc.option(fc.string(), { nil: undefined }),
        (segments, csrf) => {
          const record = recordWith(segments);
          if (csrf !== undefined) record.csrf = csrf;
          const parsed = parseRecord(serializeRecord(record))!;
          expect(parsed).toBeDefined();
          expect(JSON.parse(serializeRecord(parsed))).toEqual(JSON.parse(serializeRecord(record)));
          for (const [name, segment] of record.segments) {
            if (!segment.values.size && !segment.flash.size) continue;
            expect(parsed.segments.get(name)).toEqual(segment);
          }
        },
      ),
    );
  });
});
