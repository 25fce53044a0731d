import { assertJsonValue, cloneJson, type JsonStorable } from './json-value.js';
import { then } from './maybe-promise.js';
import type { SessionChange } from './session-change.js';
import type { SegmentState, SessionRecord } from './session-record.js';
import type { MaybePromise } from './session-store.js';

/**
 * A value that fits `T[K]` for every key in `K`: with a key typed as a union (`'a' | 'b'`), the
 * value must suit whichever one it is at run time, as TypeScript asks of `object[key] = value`.
 */
type ValueForEvery<T, K extends keyof T> = (
  K extends unknown ? (value: T[K]) => void : never
) extends (value: infer V) => void
  ? V
  : never;

/**
 * A named part of the session (Aura's `Segment`): its keys never clash with another segment's.
 * Every method is async because the first one to run may have to load the session. The package
 * exports it as `SessionSegment`, and as the type `Segment` beside the `@Segment()` decorator.
 */
export interface Segment<T extends object = Record<string, unknown>> {
  /** The segment's name. */
  readonly name: string;
  /** The value under `key`, or `undefined` when there is none. Never starts a session. */
  get<K extends keyof T & string>(key: K): Promise<T[K] | undefined>;
  /** The value under `key`, or `alt` when there is none. Never starts a session. */
  get<K extends keyof T & string>(key: K, alt: T[K]): Promise<T[K]>;
  /** The value under `key`, or `alt` (which may be `undefined`) when there is none. */
  get<K extends keyof T & string>(key: K, alt?: T[K]): Promise<T[K] | undefined>;
  /**
   * Stores a JSON value; starts a session when there is none. `undefined` is not a JSON value,
   * even for an optional key or in an untyped segment: delete a key with `remove()`. Neither is a
   * `Date`, `Map`, `Set`, function, `bigint` or class instance with methods, at any depth: they
   * do not compile, as `undefined` does not.
   * @throws TypeError for a value typed `unknown` that JSON cannot carry (nothing is stored).
   * @throws SessionTooLargeError when the value would make the session larger than `maxSize`.
   * @throws SessionUnavailableError where no session can be started (a WebSocket message whose
   * handshake carried no live session).
   */
  // Checked against the argument's own type, not T[K]: an untyped segment's T[K] is `unknown`,
  // from which no type can take `undefined` out. A value typed `unknown` passes, as it must for
  // parsed input; set() checks it at run time.
  set<K extends keyof T & string, V extends ValueForEvery<T, K>>(
    key: K,
    value: unknown extends V ? V : JsonStorable<Exclude<V, undefined>>,
  ): Promise<void>;
  /** Deletes `key` from this segment. Never starts a session. */
  remove(key: keyof T & string): Promise<void>;
  /**
   * Removes this segment's values; its flash values stay (`clearFlash()` removes them), and other
   * segments are untouched. Never starts a session.
   */
  clear(): Promise<void>;
  /**
   * A copy of every value of this segment, except one under the key `__proto__`: as an own key
   * it would make `Object.assign(target, all)` replace `target`'s prototype. Read that one with
   * `get('__proto__')`.
   */
  getAll(): Promise<Partial<T>>;
  /** Stores a read-once value for this or a later request. */
  setFlash<V>(
    key: string,
    value: unknown extends V ? V : JsonStorable<Exclude<V, undefined>>,
  ): Promise<void>;
  /** A flash value visible to this request only; never stored. */
  setFlashNow<V>(
    key: string,
    value: unknown extends V ? V : JsonStorable<Exclude<V, undefined>>,
  ): Promise<void>;
  /**
   * Returns a flash value and removes it (HEAD and OPTIONS requests never remove), or
   * `undefined` when there is none.
   */
  getFlash<V = unknown>(key: string): Promise<V | undefined>;
  /** Returns a flash value and removes it, or `alt` when there is none. */
  getFlash<V>(key: string, alt: V): Promise<V>;
  /** Returns a flash value and removes it, or `alt` (which may be `undefined`) when there is none. */
  getFlash<V = unknown>(key: string, alt?: V): Promise<V | undefined>;
  /** Whether a flash value is there; never removes it. */
  hasFlash(key: string): Promise<boolean>;
  /**
   * Reads and removes every flash value of this segment, except one under the key `__proto__`
   * (for the reason given at `getAll()`): it stays for `getFlash('__proto__')`.
   */
  getAllFlash(): Promise<Record<string, unknown>>;
  /** Removes every flash value of this segment. */
  clearFlash(): Promise<void>;
  /**
   * Flash values read by this request stay stored for one more read, wherever in the request it
   * is called: values that a commit in this request already removed from the store (an explicit
   * `commit()`, or the first `getCsrfToken()` of a session without a CSRF secret) are stored
   * again, unless a newer flash value was set under the same key meanwhile.
   */
  keepFlash(): Promise<void>;
}

// The one key that an assignment treats as a prototype, not as data.
const UNSAFE_KEY = '__proto__';

/**
 * Throws unless `key` is a string. A number or an array (a repeated query parameter) would be
 * written into the stored JSON as a key no reader can parse, and the whole session lost with it.
 */
function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new TypeError(
      `Session key must be a string, got ${Array.isArray(key) ? 'an array' : typeof key}`,
    );
  }
}

/** @internal What a segment needs from the session manager that owns it. */
export interface SegmentHost {
  /** The session for a read: resumed if there is one, never created. */
  sessionForRead(): MaybePromise<SessionRecord | undefined>;
  /** The session for a write: resumed, or started when there is none. */
  sessionForWrite(): MaybePromise<SessionRecord>;
  /** Applies `change` to this request's session and remembers it for the commit. */
  change(change: SessionChange): void;
  /** Like {@link SegmentHost.change}, but refused with `SessionTooLargeError` when it breaks `maxSize`. */
  changeWithinLimit(change: SessionChange & { segment: string; key: string; value: unknown }): void;
  /** Keeps the flash values of `segment` that this request read, or reads later, stored. */
  keepFlash(segment: string): void;
  /** Whether reading a flash value consumes it in this request (not for HEAD or OPTIONS). */
  readonly consumesFlash: boolean;
}

/**
 * The {@link Segment} implementation behind `newSegment` and `@Segment`.
 * @internal
 */
export class SessionSegment<T extends object = Record<string, unknown>> implements Segment<T> {
  // Flash values set with setFlashNow: this request's only, so they never reach the store.
  private flashNow: Map<string, unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly host: SegmentHost,
  ) {}

  // get() and set() are the calls of nearly every request: on a loaded session they make no
  // closure, and one promise (that of an `async` function would cost a microtask more).

  get<K extends keyof T & string>(key: K): Promise<T[K] | undefined>;
  get<K extends keyof T & string>(key: K, alt: T[K]): Promise<T[K]>;
  get<K extends keyof T & string>(key: K, alt?: T[K]): Promise<T[K] | undefined>;
  get<K extends keyof T & string>(key: K, alt?: T[K]): Promise<T[K] | undefined> {
    try {
      assertKey(key);
      const record = this.host.sessionForRead();
      if (record instanceof Promise) return record.then((r) => this.valueIn(r, key, alt));
      return Promise.resolve(this.valueIn(record, key, alt));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  set<K extends keyof T & string, V extends ValueForEvery<T, K>>(
    key: K,
    value: unknown extends V ? V : JsonStorable<Exclude<V, undefined>>,
  ): Promise<void> {
    try {
      assertKey(key);
      // Copied before any wait: a caller that does not await may change its object meanwhile.
      const copy = storableCopy(value, key);
      const record = this.host.sessionForWrite();
      if (record instanceof Promise) return record.then(() => this.recordSet(key, copy));
      this.recordSet(key, copy);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async remove(key: keyof T & string): Promise<void> {
    assertKey(key);
    if ((await this.state())?.values.has(key)) {
      this.host.change({ kind: 'remove', segment: this.name, key });
    }
  }

  async clear(): Promise<void> {
    if ((await this.state())?.values.size) {
      this.host.change({ kind: 'clearSegment', segment: this.name });
    }
  }

  async getAll(): Promise<Partial<T>> {
    const all: Record<string, unknown> = {};
    for (const [key, value] of (await this.state())?.values ?? []) {
      if (key !== UNSAFE_KEY) all[key] = value;
    }
    return cloneJson(all) as Partial<T>;
  }

  async setFlash(key: string, value: unknown): Promise<void> {
    assertKey(key);
    // Copied before the wait: a caller that does not await may change its object meanwhile.
    const copy = storableCopy(value, key);
    await this.host.sessionForWrite();
    this.host.changeWithinLimit({ kind: 'setFlash', segment: this.name, key, value: copy });
  }

  async setFlashNow(key: string, value: unknown): Promise<void> {
    assertKey(key);
    assertJsonValue(value, key);
    (this.flashNow ??= new Map()).set(key, cloneJson(value));
  }

  getFlash<V = unknown>(key: string): Promise<V | undefined>;
  getFlash<V>(key: string, alt: V): Promise<V>;
  getFlash<V = unknown>(key: string, alt?: V): Promise<V | undefined>;
  async getFlash<V = unknown>(key: string, alt?: V): Promise<V | undefined> {
    assertKey(key);
    const flash = (await this.state())?.flash;
    const now = this.flashNow?.has(key);
    if (!now && !flash?.has(key)) return alt;
    // A copy: the stored record is shared with other requests and must not change under them.
    const value = cloneJson(now ? this.flashNow!.get(key) : flash!.get(key)) as V;
    if (now && this.host.consumesFlash) this.flashNow!.delete(key);
    // A stored flash under the same key is read (and so consumed) too, though the value set with
    // setFlashNow() shadows it: left stored, that older message would show on the next page.
    if (flash?.has(key) && this.host.consumesFlash) {
      this.host.change({
        kind: 'consumeFlash',
        segment: this.name,
        key,
        json: JSON.stringify(now ? flash.get(key) : value),
      });
    }
    return value;
  }

  async hasFlash(key: string): Promise<boolean> {
    assertKey(key);
    return this.flashNow?.has(key) || ((await this.state())?.flash.has(key) ?? false);
  }

  async getAllFlash(): Promise<Record<string, unknown>> {
    const all: Record<string, unknown> = {};
    const keys = new Set([
      ...((await this.state())?.flash.keys() ?? []),
      ...(this.flashNow?.keys() ?? []),
    ]);
    keys.delete(UNSAFE_KEY);
    for (const key of keys) all[key] = await this.getFlash(key);
    return all;
  }

  async clearFlash(): Promise<void> {
    this.flashNow?.clear();
    if ((await this.state())?.flash.size) {
      this.host.change({ kind: 'clearFlash', segment: this.name });
    }
  }

  async keepFlash(): Promise<void> {
    this.host.keepFlash(this.name);
  }

  /** @internal Drops the values of `setFlashNow()`: the session was emptied or destroyed. */
  forgetFlashNow(): void {
    this.flashNow = undefined;
  }

  /** A copy of the value under `key` in `record`, or `alt` when there is none. */
  private valueIn<V>(record: SessionRecord | undefined, key: string, alt: V): V {
    const value = this.stateIn(record)?.values.get(key);
    return value === undefined ? alt : (cloneJson(value) as V);
  }

  private stateIn(record: SessionRecord | undefined): SegmentState | undefined {
    return record?.segments.get(this.name);
  }

  /** `value` is the caller's copy: the change log owns it from here. */
  private recordSet(key: string, value: unknown): void {
    this.host.changeWithinLimit({ kind: 'set', segment: this.name, key, value });
  }

  /** This segment's state; no promise when the session is loaded (or the store is synchronous). */
  private state(): MaybePromise<SegmentState | undefined> {
    return then(this.host.sessionForRead(), (record) => this.stateIn(record));
  }
}

/**
 * A copy of `value` to store under `key`; throws a `TypeError` for a value JSON cannot hold. The
 * check runs before the copy (a cycle would never end it), and again on a copied object: the copy
 * reads every property a second time, and a getter may answer something else then (a `Date`, a
 * function) that the first check never saw.
 */
function storableCopy(value: unknown, key: string): unknown {
  assertJsonValue(value, key);
  const copy = cloneJson(value);
  if (typeof copy === 'object' && copy !== null) assertJsonValue(copy, key);
  return copy;
}
