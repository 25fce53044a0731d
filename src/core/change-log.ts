import { SessionTooLargeError } from './errors.js';
import { applyChange, type SessionChange } from './session-change.js';
import { serializeRecord, type SessionRecord, type UserBinding } from './session-record.js';

/** A change that adds a value, and so can break the size limit. */
export type GrowingChange = SessionChange & { segment: string; key: string; value: unknown };

/** The segment name a `SessionTooLargeError` carries when binding a user was refused. */
export const USER_BINDING_SEGMENT = '(user binding)';

/**
 * This request's changes since its last commit, replayed by the commit onto whatever is stored
 * by then, and the request's bound on the session's serialized size for `maxSize`.
 *
 * A write is refused only when it would make the session larger than `maxSize` and larger than
 * it is: a replacement by a value no bigger, or a removal, always goes through, even on a
 * session already over the limit (a CSRF secret is never refused, so it can push one there).
 */
export class ChangeLog {
  private entries: SessionChange[] = [];
  /**
   * Logged writes that do not grow the session, which a merge over `maxSize` must not refuse.
   * Made on the first such write, and a list rather than a set: it is only searched on a merge
   * over the limit, while a replacement of a value by one no bigger, the most common write,
   * would otherwise pay for a set on every request.
   */
  private notGrowing: SessionChange[] | undefined;
  /** Segments whose flash values read in this request stay stored (`keepFlash()`). */
  private keptFlash: Set<string> | undefined;
  /**
   * Consumptions of flash values that a commit of this request already stored (an explicit
   * `commit()`, or the first `getCsrfToken()` of a session without a secret): a `keepFlash()`
   * after it stores those values again.
   */
  private committedConsumptions: (SessionChange & { kind: 'consumeFlash' })[] | undefined;
  /** At least the serialized size of the session as this request sees it, in bytes. */
  sizeBound = 0;

  constructor(private readonly maxSize: number) {}

  get length(): number {
    return this.entries.length;
  }

  /** Whether a commit must replay onto the stored record: the request's copy lacks kept flash values. */
  get keepsFlash(): boolean {
    return this.keptFlash !== undefined && this.keptFlash.size > 0;
  }

  /** Applies `change` to `record` and logs it; a consumption of kept flash is applied only. */
  record(record: SessionRecord, change: SessionChange): void {
    applyChange(record, change);
    if (change.kind === 'consumeFlash' && this.keptFlash?.has(change.segment)) return;
    this.entries.push(change);
  }

  /**
   * Like {@link record}, refused with `SessionTooLargeError` (and `record` left as it was) when
   * the session would outgrow `maxSize`. An upper bound of the size spares serializing the whole
   * session on every write; only a growing write that may break the limit pays for the exact
   * measure.
   */
  recordWithinLimit(record: SessionRecord, change: GrowingChange): void {
    const part = record.segments.get(change.segment)?.[change.kind === 'set' ? 'values' : 'flash'];
    const had = part?.has(change.key) ?? false;
    const previous = part?.get(change.key);
    // A replacement changes the session by exactly the difference of the two values' JSON.
    const growth = had
      ? jsonBytes(change.value) - jsonBytes(previous)
      : jsonBytes(change.segment) +
        jsonBytes(change.key) +
        jsonBytes(change.value) +
        ENTRY_OVERHEAD;
    if (this.recordIfWithinBound(record, change, growth)) return;
    this.recordMeasured(record, change, change.segment, () => {
      const target = record.segments.get(change.segment)![
        change.kind === 'set' ? 'values' : 'flash'
      ];
      if (had) target.set(change.key, previous);
      else target.delete(change.key);
    });
  }

  /**
   * Like {@link recordWithinLimit}, for binding the session to `change.user`: refused with a
   * `SessionTooLargeError` for the segment {@link USER_BINDING_SEGMENT} when the binding would
   * grow the session past `maxSize`. Counted with the room its index expiry takes once the
   * commit writes it.
   */
  recordBinding(
    record: SessionRecord,
    change: SessionChange & { kind: 'bindUser'; user: UserBinding },
  ): void {
    const previous = record.user;
    const growth = bindingBytes(change.user) - (previous ? bindingBytes(previous) : 0);
    if (this.recordIfWithinBound(record, change, growth)) return;
    this.recordMeasured(record, change, USER_BINDING_SEGMENT, () => {
      if (previous) record.user = previous;
      else delete record.user;
    });
  }

  /**
   * Records `change`, which grows the session by `growth` bytes (or shrinks it), if the size
   * bound shows it cannot take the session past `maxSize`; `false` (nothing recorded) when only
   * an exact measure can tell.
   */
  private recordIfWithinBound(
    record: SessionRecord,
    change: SessionChange,
    growth: number,
  ): boolean {
    if (growth <= 0) {
      if (this.notGrowing) this.notGrowing.push(change);
      else this.notGrowing = [change];
    }
    if (growth > 0 && this.sizeBound + growth > this.maxSize) return false;
    this.record(record, change);
    this.sizeBound += Math.max(growth, 0);
    return true;
  }

  /**
   * Records a growing `change` that may break the limit, measuring the session with it: past
   * `maxSize`, it is undone with `undo` and refused as a write to `segment`. Its own method, so
   * that the writes within the bound, nearly all of them, make no `undo` closure.
   */
  private recordMeasured(
    record: SessionRecord,
    change: SessionChange,
    segment: string,
    undo: () => void,
  ): void {
    applyChange(record, change);
    const size = measure(record);
    if (size > this.maxSize) {
      undo();
      throw new SessionTooLargeError(segment, size, this.maxSize);
    }
    this.sizeBound = size;
    this.entries.push(change);
  }

  /**
   * Like {@link record}, for a new CSRF secret: never refused, since forms depend on getting a
   * token, but counted in the size bound, so the writes after it see the session's true size.
   */
  recordCsrf(record: SessionRecord, change: SessionChange & { kind: 'csrf' }): void {
    const growth =
      jsonBytes(change.secret) -
      (record.csrf === undefined ? -CSRF_OVERHEAD : jsonBytes(record.csrf));
    this.record(record, change);
    this.sizeBound += Math.max(growth, 0);
  }

  /**
   * Forgets this request's consumptions of `segment`'s flash values, now and later; those a
   * commit already stored are logged to be stored again.
   */
  keepFlash(segment: string): void {
    (this.keptFlash ??= new Set()).add(segment);
    this.entries = this.entries.filter(
      (c) => !(c.kind === 'consumeFlash' && c.segment === segment),
    );
    if (!this.committedConsumptions) return;
    const others: (SessionChange & { kind: 'consumeFlash' })[] = [];
    for (const c of this.committedConsumptions) {
      if (c.segment !== segment) others.push(c);
      else this.entries.push({ kind: 'restoreFlash', segment, key: c.key, json: c.json });
    }
    this.committedConsumptions = others;
  }

  /** Hands the logged changes to a commit; changes made after it are logged for the next one. */
  take(): SessionChange[] {
    const taken = this.entries;
    this.entries = [];
    for (const change of taken) {
      if (change.kind === 'consumeFlash') (this.committedConsumptions ??= []).push(change);
    }
    return taken;
  }

  /** Applies the logged changes, in order, to `record`. */
  replayOnto(record: SessionRecord): void {
    for (const change of this.entries) applyChange(record, change);
  }

  /**
   * Bounds the size of a session just loaded or started with `size` bytes. Nothing can be logged
   * before a session is there, but a `keepFlash()` can be called first and still applies.
   */
  startAt(size: number): void {
    this.sizeBound = size;
  }

  /** Forgets every change and flash kept, for a session forgotten; the bound becomes `size`. */
  reset(size: number): void {
    this.entries = [];
    this.keptFlash?.clear();
    this.committedConsumptions = undefined;
    this.sizeBound = size;
  }

  /**
   * The exact size of `merged`, this request's `changes` replayed onto another request's state:
   * writes that each fit can add up past `maxSize` once merged, and then this request's last
   * growing change is refused. Whether a change grows is judged against this request's view.
   */
  assertMergedWithinLimit(merged: SessionRecord, changes: SessionChange[]): number {
    const size = measure(merged);
    if (size <= this.maxSize) return size;
    const notGrowing = new Set(this.notGrowing);
    const growing = changes.findLast(
      (c) =>
        (c.kind === 'set' || c.kind === 'setFlash' || (c.kind === 'bindUser' && c.user)) &&
        !notGrowing.has(c),
    );
    if (!growing) return size;
    const segment = 'segment' in growing ? growing.segment : USER_BINDING_SEGMENT;
    throw new SessionTooLargeError(segment, size, this.maxSize);
  }
}

// What one more key adds to a serialized session besides its JSON-encoded segment name, key and
// value: the segment's `{"values":{},"flash":{}}` frame if it is new, separators and quotes.
const ENTRY_OVERHEAD = 32;

// What a CSRF secret adds besides its JSON: the `,"csrf":` member.
const CSRF_OVERHEAD = 8;

// The digits of a binding's index expiry, a time in epoch ms (13 digits until the year 2286): a
// new binding holds 0 until its commit writes the index.
const INDEX_UNTIL_DIGITS = 13;

/** What binding `user` adds to a serialized session, its index expiry counted at full width. */
function bindingBytes(user: UserBinding): number {
  const { id, handle } = user;
  // The `,"user":` member, then the binding.
  return (
    8 + Buffer.byteLength(JSON.stringify({ id, handle, indexUntil: 10 ** INDEX_UNTIL_DIGITS - 1 }))
  );
}

/**
 * The serialized size of `record`, with the room a binding's index expiry still takes once its
 * commit writes it: the bound must not fall below what the commit stores.
 */
function measure(record: SessionRecord): number {
  const size = Buffer.byteLength(serializeRecord(record));
  if (record.user === undefined) return size;
  return size + Math.max(0, INDEX_UNTIL_DIGITS - String(record.user.indexUntil).length);
}

/**
 * The bytes of `value`'s JSON. Segment names, keys and most values are numbers or strings of
 * printable ASCII, whose size is known without serializing them (every set pays for three of
 * these).
 */
function jsonBytes(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return String(value).length;
    case 'boolean':
      return value ? 4 : 5;
    case 'string':
      return asciiJsonBytes(value) ?? Buffer.byteLength(JSON.stringify(value));
  }
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * The JSON size of a string of printable ASCII: a byte per character, two for `"` and `\`
 * (escaped), and the quotes. Aura-style segment names such as `App\Cart` hold backslashes, so
 * those are counted here rather than sent to `JSON.stringify`. `undefined` for another string.
 */
function asciiJsonBytes(value: string): number | undefined {
  let bytes = value.length + 2;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return undefined;
    if (code === 0x22 || code === 0x5c) bytes++;
  }
  return bytes;
}
