import fc from 'fast-check';
import { assertJsonValue, cloneJson, MAX_JSON_DEPTH } from '../../src/core/json-value.js';

/** `levels` objects (or arrays) each holding the next one, the innermost holding `'end'`. */
function nested(levels: number, kind: 'object' | 'array' = 'object'): unknown {
  let value: unknown = 'end';
  for (let i = 0; i < levels; i++) value = kind === 'object' ? { next: value } : [value];
  return value;
}

/** How many objects or arrays `value` nests, counted without recursion. */
function depthOf(value: unknown): number {
  let depth = 0;
  for (let v = value; typeof v === 'object' && v !== null; depth++) {
    v = Array.isArray(v) ? v[0] : (v as { next: unknown }).next;
  }
  return depth;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('assertJsonValue', () => {
  it.each([
    ['a string', 'text'],
    ['an empty string', ''],
    ['zero', 0],
    ['a negative float', -1.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an empty object', {}],
    ['an empty array', []],
    ['a nested value', { a: [1, 'two', { three: null }], b: { c: false } }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    [
      'a dictionary built on an empty prototype without one (parsed query strings)',
      Object.assign(Object.create(Object.create(null) as object) as object, { q: 'x' }),
    ],
    ['an object with a __proto__ own key', JSON.parse('{"__proto__":{"polluted":true}}')],
  ])('accepts %s', (_, value) => {
    expect(() => assertJsonValue(value, 'k')).not.toThrow();
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(() => assertJsonValue([shared, shared, { again: shared }], 'k')).not.toThrow();
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [];
  cyclicArray.push({ back: cyclicArray });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a Date', new Date(0)],
    ['a RegExp', /x/],
    ['a class instance', new Point(1, 2)],
    ['a typed array', new Uint8Array(2)],
    ['a cyclic object', cyclic],
    ['a cyclic array', cyclicArray],
    ['a sparse array', [1, , 3]],
    ['undefined in an array', [1, undefined]],
    ['a nested function', { deep: [{ fn: () => 1 }] }],
    ['a symbol key', { [Symbol('s')]: 1 }],
    ['an Array subclass instance', new (class Items extends Array {})()],
    ['an array with a named property', Object.assign([1, 2], { total: 3 })],
    [
      'an object inheriting properties',
      Object.create(Object.assign(Object.create(null) as object, { inherited: 1 }) as object),
    ],
    [
      'an object two empty prototypes deep',
      Object.create(Object.create(Object.create(null) as object) as object),
    ],
  ])('rejects %s with a TypeError naming the key', (_, value) => {
    expect(() => assertJsonValue(value, 'cart')).toThrow(TypeError);
    expect(() => assertJsonValue(value, 'cart')).toThrow(/"cart"/);
  });

  it.each([
    [undefined, /stored: undefined is not a JSON value/],
    [() => 1, /a function is not a JSON value/],
    [new (class Item {})(), /an Item instance is not a plain JSON object/],
    [new Date(0), /a Date instance is not a plain JSON object/],
  ])('says what %p is, in a sentence', (value, message) => {
    expect(() => assertJsonValue(value, 'k')).toThrow(message);
  });

  it('names the path to a bad nested value', () => {
    expect(() => assertJsonValue({ items: [{ at: new Date(0) }] }, 'cart')).toThrow(
      /"cart" at cart\.items\[0\]\.at/,
    );
  });

  it.each(['object', 'array'] as const)(
    'refuses a value nested 100 000 levels deep (%s) with a TypeError naming the key',
    (kind) => {
      const value = nested(100_000, kind);
      expect(() => assertJsonValue(value, 'tree')).toThrow(TypeError);
      expect(() => assertJsonValue(value, 'tree')).toThrow(
        'Session value for key "tree" cannot be stored: it nests deeper than 1000 levels',
      );
    },
  );

  it('accepts exactly MAX_JSON_DEPTH levels and refuses one more', () => {
    expect(MAX_JSON_DEPTH).toBe(1000);
    expect(() => assertJsonValue(nested(1000), 'k')).not.toThrow();
    expect(() => assertJsonValue(nested(1000, 'array'), 'k')).not.toThrow();
    expect(() => assertJsonValue(nested(1001), 'k')).toThrow(/"k".*deeper than 1000 levels/);
    expect(() => assertJsonValue({ a: [nested(999)] }, 'k')).toThrow(/deeper than 1000/);
  });

  it('accepts every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => assertJsonValue(value, 'k')).not.toThrow();
      }),
    );
  });
});

describe('cloneJson', () => {
  it('returns a deep copy that shares nothing with the original', () => {
    const original = { list: [1, { n: 2 }], nested: { s: 'x' } };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.list).not.toBe(original.list);
    expect(copy.list[1]).not.toBe(original.list[1]);
    expect(copy.nested).not.toBe(original.nested);
  });

  it('returns primitives as they are', () => {
    expect(cloneJson('s')).toBe('s');
    expect(cloneJson(3)).toBe(3);
    expect(cloneJson(null)).toBeNull();
    expect(cloneJson(false)).toBe(false);
  });

  it('turns -0 into 0, as JSON does, so every store hands back the same number', () => {
    expect(Object.is(cloneJson(-0), 0)).toBe(true);
    expect(Object.is(cloneJson({ at: [-0] }).at[0], 0)).toBe(true);
  });

  it('keeps a __proto__ key as an own key without touching prototypes', () => {
    const copy = cloneJson(JSON.parse('{"__proto__":{"polluted":true}}') as object);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['object', 'array'] as const)(
    'copies a value nested 100 000 levels deep (%s) without running out of stack',
    (kind) => {
      const value = nested(100_000, kind);
      const copy = cloneJson(value);
      expect(copy).not.toBe(value);
      expect(depthOf(copy)).toBe(100_000);
    },
  );

  it('keeps nested __proto__ keys as own keys', () => {
    const copy = cloneJson(JSON.parse('[{"a":{"__proto__":[1]}}]') as [{ a: object }]);
    expect(Object.getPrototypeOf(copy[0].a)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copy[0].a, '__proto__')?.value).toEqual([1]);
  });

  it('equals the JSON round trip of every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.stringify(cloneJson(value))).toBe(JSON.stringify(value));
      }),
    );
  });
});
