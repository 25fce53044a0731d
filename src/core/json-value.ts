/**
 * Throws a TypeError naming `key` unless `value` survives a JSON round trip unchanged: sessions
 * are stored as JSON, and a value that comes back different (a Date as a string, a Map as `{}`,
 * a dropped `undefined`) is a bug that would only show up on the next request.
 */
export function assertJsonValue(value: unknown, key: string): void {
  check(value, key, key, new Set());
}

/** A deep copy of a JSON value, so callers never share objects with the session. */
export function cloneJson<V>(value: V): V {
  return typeof value === 'object' && value !== null
    ? (JSON.parse(JSON.stringify(value)) as V)
    : value;
}

function check(value: unknown, key: string, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      return fail(key, path, `${value} is not a finite number`);
    case 'object':
      if (value === null) return;
      break;
    default:
      return fail(key, path, `a ${typeof value} is not a JSON value`);
  }
  if (seen.has(value)) fail(key, path, 'it contains a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(key, `${path}[${i}]`, 'sparse arrays do not survive JSON');
      check(value[i], key, `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as object).constructor?.name ?? 'object';
      fail(key, path, `a ${name} instance is not a plain JSON object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      fail(key, path, 'symbol keys do not survive JSON');
    }
    for (const [k, v] of Object.entries(value)) check(v, key, `${path}.${k}`, seen);
  }
  seen.delete(value);
}

function fail(key: string, path: string, why: string): never {
  const where = path === key ? '' : ` at ${path}`;
  throw new TypeError(`Session value for key "${key}"${where} cannot be stored: ${why}`);
}
