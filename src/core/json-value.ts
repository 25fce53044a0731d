import { printableTail, quoted } from './log-text.js';

/**
 * How deeply objects and arrays may nest in a session value. Far beyond any real data, and far
 * below the depth at which JSON serialization runs out of stack.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * `V` where every part of it is a JSON value, `never` where a part is not: a `Date`, `RegExp`,
 * `Map`, `Set`, function, `bigint` or `symbol`, or a class instance's method, whose values a JSON
 * round trip changes or drops. `Segment.set()` takes its value as this type, so the compiler
 * refuses at the call what the method would refuse when it runs. `unknown` and `any` pass:
 * parsed input is checked at run time.
 */
export type JsonStorable<V> = V extends string | number | boolean | null
  ? V
  : V extends
        | bigint
        | symbol
        | Date
        | RegExp
        | ReadonlyMap<unknown, unknown>
        | ReadonlySet<unknown>
        | ((...args: never[]) => unknown)
    ? never
    : V extends object
      ? { [K in keyof V]: JsonStorable<V[K]> }
      : V;

/**
 * Throws a TypeError naming `key` unless `value` survives a JSON round trip unchanged: sessions
 * are stored as JSON, and a value that comes back different (a Date as a string, a Map as `{}`,
 * an array's `undefined` as `null`) is a bug that would only show up on the next request. An
 * object property whose value is `undefined` passes: it reads the same without its key, and
 * {@link cloneJson} leaves it out, as JSON does. A value nested more than
 * {@link MAX_JSON_DEPTH} levels deep is refused too.
 */
export function assertJsonValue(value: unknown, key: string): void {
  // Most values are primitives: only an object needs the set of the objects on its path.
  if (!isPrimitive(value, key, key)) checkObject(value as object, key, key, new Set(), 0);
}

/**
 * Whether parsed JSON `value` has an object or array more than {@link MAX_JSON_DEPTH} levels
 * down: data no call of this library stores, written by something else, which could not be
 * written back (serializing it runs out of stack).
 */
export function nestsTooDeep(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth === MAX_JSON_DEPTH) return true;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsTooDeep(inner, depth + 1)) return true;
  }
  return false;
}

/**
 * A deep copy of a JSON value, so callers never share objects with the session, without the
 * object properties whose value is `undefined`. Iterative, so no nesting depth can exhaust the
 * stack.
 */
export function cloneJson<V>(value: V): V {
  // Most values are primitives: kept this small, the check is inlined where a value is read.
  if (typeof value !== 'object' || value === null) return primitive(value);
  return isCopied(value) ? copyTree(value) : value;
}

function copyTree<V extends object>(value: V): V {
  const root = emptyLike(value);
  const pending: [source: object, target: Record<string, unknown> | unknown[]][] = [[value, root]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [source, target] = next;
    if (Array.isArray(source)) {
      const copy = target as unknown[];
      for (let i = 0; i < source.length; i++) copy[i] = copyOf(source[i], pending);
    } else {
      const copy = target as Record<string, unknown>;
      for (const [k, v] of Object.entries(source)) {
        // An optional property left `undefined` (a DTO's, or `{ ...form, note }`) reads the same
        // with or without its key: like JSON.stringify, the copy leaves it out.
        if (v === undefined) continue;
        // A plain assignment to "__proto__" would swap the copy's prototype instead.
        if (k === '__proto__') {
          Object.defineProperty(copy, k, {
            value: copyOf(v, pending),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          copy[k] = copyOf(v, pending);
        }
      }
    }
  }
  return root as V;
}

function copyOf(value: unknown, pending: [object, Record<string, unknown> | unknown[]][]): unknown {
  if (typeof value !== 'object' || value === null || !isCopied(value)) return primitive(value);
  const copy = emptyLike(value);
  pending.push([value, copy]);
  return copy;
}

/** `value`, with -0 as 0: JSON writes -0 as 0, so every store hands back the same number. */
function primitive<V>(value: V): V {
  return value === 0 ? (0 as V) : value;
}

/**
 * Whether the copy descends into `value`: an array or a plain object. Anything else (a `Date`, a
 * class instance), which {@link assertJsonValue} refuses, is kept as it is, so that a check of
 * the copy still sees what it is.
 */
function isCopied(value: object): boolean {
  return Array.isArray(value) || isPlainPrototype(Object.getPrototypeOf(value) as object | null);
}

function emptyLike(value: object): Record<string, unknown> | unknown[] {
  return Array.isArray(value) ? [] : {};
}

/** Whether `value` is a JSON primitive (`false` for an object or array); throws for a non-JSON one. */
function isPrimitive(value: unknown, key: string, path: string): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      if (Number.isFinite(value)) return true;
      return fail(key, path, `${value} is not a finite number`);
    case 'object':
      return value === null;
    default: {
      // `undefined` is the value itself, not a kind of value: it takes no article.
      const what = value === undefined ? 'undefined' : withArticle(typeof value);
      return fail(key, path, `${what} is not a JSON value`);
    }
  }
}

function check(value: unknown, key: string, path: string, seen: Set<object>, depth: number): void {
  if (!isPrimitive(value, key, path)) checkObject(value as object, key, path, seen, depth);
}

function checkObject(
  value: object,
  key: string,
  path: string,
  seen: Set<object>,
  depth: number,
): void {
  // The path of so deep a value is no help to read, so the message names the key only.
  if (depth === MAX_JSON_DEPTH) fail(key, key, `it nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (seen.has(value)) fail(key, path, 'it contains a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    // Some realm's Array.prototype, itself an array (a subclass's prototype is not): Node's own
    // modules build arrays in the main realm, which a VM context (a test runner) does not share.
    if (!Array.isArray(Object.getPrototypeOf(value))) {
      const name = value.constructor?.name ?? 'array';
      fail(key, path, `${withArticle(name)} instance is not a plain JSON array`);
    }
    // JSON keeps an array's elements only: a named property would be dropped.
    if (Object.keys(value).length !== value.length) {
      const named = Object.keys(value).find((k) => !/^(0|[1-9]\d*)$/.test(k));
      if (named !== undefined)
        fail(key, `${path}.${named}`, 'named properties of an array do not survive JSON');
    }
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(key, `${path}[${i}]`, 'sparse arrays do not survive JSON');
      check(value[i], key, `${path}[${i}]`, seen, depth + 1);
    }
  } else {
    if (!isPlainPrototype(Object.getPrototypeOf(value) as object | null)) {
      const name = (value as object).constructor?.name ?? 'object';
      fail(key, path, `${withArticle(name)} instance is not a plain JSON object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      fail(key, path, 'symbol keys do not survive JSON');
    }
    for (const [k, v] of Object.entries(value)) {
      // Left out, as JSON.stringify leaves it out (see `cloneJson`).
      if (v !== undefined) check(v, key, `${path}.${k}`, seen, depth + 1);
    }
  }
  seen.delete(value);
}

/**
 * Whether an object with this prototype is a plain JSON object: `Object.prototype`, none, or an
 * empty prototype that has none itself. Parsers build their dictionaries that way, as a faster
 * `Object.create(null)`: Fastify's query string and form bodies, its route parameters.
 */
function isPlainPrototype(proto: object | null): boolean {
  if (proto === Object.prototype || proto === null) return true;
  return Object.getPrototypeOf(proto) === null && Reflect.ownKeys(proto).length === 0;
}

/** `word` after "a" or "an", as its first letter asks. */
function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

function fail(key: string, path: string, why: string): never {
  const where = path === key ? '' : ` at ${printableTail(path)}`;
  throw new TypeError(`Session value for key ${quoted(key)}${where} cannot be stored: ${why}`);
}
