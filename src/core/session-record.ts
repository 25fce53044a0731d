import { nestsTooDeep } from './json-value.js';

/** @internal One segment's stored state. Maps, not objects, so keys like `__proto__` are plain keys. */
export interface SegmentState {
  values: Map<string, unknown>;
  flash: Map<string, unknown>;
  /**
   * Whether `values` belongs to this state alone. A copied record shares its segments' maps with
   * the original until a change needs one: see {@link writableValues}.
   */
  ownsValues: boolean;
  /** Whether `flash` belongs to this state alone; see {@link writableFlash}. */
  ownsFlash: boolean;
}

/** A segment state that owns the maps it is given. */
export function segmentState(
  values = new Map<string, unknown>(),
  flash = new Map<string, unknown>(),
): SegmentState {
  return { values, flash, ownsValues: true, ownsFlash: true };
}

/** The values of `segment`, to change: copied first if still shared with another record. */
export function writableValues(segment: SegmentState): Map<string, unknown> {
  if (!segment.ownsValues) {
    segment.values = copyMap(segment.values);
    segment.ownsValues = true;
  }
  return segment.values;
}

/** The flash values of `segment`, to change: copied first if still shared with another record. */
export function writableFlash(segment: SegmentState): Map<string, unknown> {
  if (!segment.ownsFlash) {
    segment.flash = copyMap(segment.flash);
    segment.ownsFlash = true;
  }
  return segment.flash;
}

/**
 * Empties the values of `segment` by giving it a new map: a shared map must not be copied only to
 * be emptied, and `clear()` on an owned one allocates a new table all the same.
 */
export function emptyValues(segment: SegmentState): void {
  segment.values = new Map();
  segment.ownsValues = true;
}

/** Empties the flash values of `segment`, as {@link emptyValues} does the values. */
export function emptyFlash(segment: SegmentState): void {
  segment.flash = new Map();
  segment.ownsFlash = true;
}

/**
 * @internal The user a session is bound to (`bindUser()`): who, the session's handle in that
 * user's list, and until when the list is known to be kept (it must outlive the session).
 */
export interface UserBinding {
  readonly id: string;
  /** Random, drawn at binding: names the session to its owner, opens nothing. */
  readonly handle: string;
  /** Epoch ms the user's index was last pushed to live until; 0 before it was written. */
  readonly indexUntil: number;
}

/** @internal A session as held in memory while a request works on it. */
export interface SessionRecord {
  /** Epoch ms of first creation; `absoluteTimeout` counts from here, across `regenerateId`. */
  createdAt: number;
  /** Epoch ms of the last write or throttled touch; `idleTimeout` counts from here. */
  lastSeen: number;
  /** The CSRF secret in base64url, once a token was asked for. */
  csrf?: string;
  /** The user the session is bound to; survives `clear()` and `regenerateId()`. */
  user?: UserBinding;
  /**
   * Set on the record a revocation leaves under a session's key: a tombstone, not a session. Its
   * next request reads no session and gets its cookie expired; a racing commit fails against it.
   */
  revoked?: true;
  segments: Map<string, SegmentState>;
}

/** A fresh, empty session created at `now`. */
export function newRecord(now: number): SessionRecord {
  return { createdAt: now, lastSeen: now, segments: new Map() };
}

/**
 * A copy of `record` that can be changed through `applyChange` without touching the original. It
 * has its own list of segments, each of which shares its maps with the original until a change
 * needs one ({@link writableValues}, {@link writableFlash}): a write copies the maps it changes,
 * not the whole session. Values are shared too: they are never mutated in place (they are copied
 * on every set and get).
 */
export function copyRecord(record: SessionRecord): SessionRecord {
  const segments = new Map<string, SegmentState>();
  for (const [name, segment] of record.segments) {
    segments.set(name, {
      values: segment.values,
      flash: segment.flash,
      ownsValues: false,
      ownsFlash: false,
    });
  }
  const copy: SessionRecord = { createdAt: record.createdAt, lastSeen: record.lastSeen, segments };
  if (record.csrf !== undefined) copy.csrf = record.csrf;
  // A binding is replaced whole, never changed in place, so the copy may share it.
  if (record.user !== undefined) copy.user = record.user;
  if (record.revoked) copy.revoked = true;
  return copy;
}

// `new Map(iterable)` goes through the iterable protocol: on Node 20 two to three times slower
// than this loop, and every write to a loaded session copies the map it changes.
function copyMap<V>(map: Map<string, V>): Map<string, V> {
  const copy = new Map<string, V>();
  for (const [key, value] of map) copy.set(key, value);
  return copy;
}

/** The values of a parsed segment, or `undefined` when one nests too deep to be written back. */
function mapOf(object: Record<string, unknown>): Map<string, unknown> | undefined {
  const map = new Map<string, unknown>();
  // Own keys only, `__proto__` among them (JSON.parse makes it an own property).
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (nestsTooDeep(value)) return undefined;
    map.set(key, value);
  }
  return map;
}

/** The segment named `name`, created empty when missing. */
export function segmentOf(record: SessionRecord, name: string): SegmentState {
  let segment = record.segments.get(name);
  if (!segment) {
    segment = segmentState();
    record.segments.set(name, segment);
  }
  return segment;
}

/**
 * The JSON text stored for `record`: an object with `v`, `createdAt`, `lastSeen`, `segments`,
 * then `csrf`, `user` and `revoked` when set, written piece by piece from the maps, whose keys
 * keep their order. Every commit to a text store pays for this, and building the
 * intermediate objects first (with `"__proto__"` as an ordinary key) cost three times as much.
 * Segment values are JSON values already (checked when set), so each one's own JSON is final.
 */
export function serializeRecord(record: SessionRecord): string {
  let segments = '';
  for (const [name, segment] of record.segments) {
    if (segment.values.size === 0 && segment.flash.size === 0) continue;
    if (segments) segments += ',';
    segments += `${quotedName(name)}:{"values":${mapJson(segment.values)},"flash":${mapJson(segment.flash)}}`;
  }
  // Times are finite numbers (checked when parsed), whose JSON is their string.
  let text = `{"v":1,"createdAt":${record.createdAt},"lastSeen":${record.lastSeen},"segments":{${segments}}`;
  if (record.csrf !== undefined) text += `,"csrf":${JSON.stringify(record.csrf)}`;
  if (record.user !== undefined) {
    const { id, handle, indexUntil } = record.user;
    text += `,"user":${JSON.stringify({ id, handle, indexUntil })}`;
  }
  if (record.revoked) text += ',"revoked":true';
  return `${text}}`;
}

/** A map of JSON values as the JSON text of an object with the same keys, in the same order. */
function mapJson(map: Map<string, unknown>): string {
  let members = '';
  for (const [key, value] of map) {
    if (members) members += ',';
    members += `${quotedName(key)}:${valueJson(value)}`;
  }
  return `{${members}}`;
}

// Each call of `JSON.stringify` costs about as much as writing the rest of a small session, and
// a session's segment names and keys are the same few strings on every write: their JSON is
// kept. Bounded, since keys may be built from data; names past the bound are encoded each time.
const quotedNames = new Map<string, string>();
const QUOTED_NAMES_KEPT = 1024;
const QUOTED_NAME_LENGTH = 64;

/** The JSON of a segment name or key. */
function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (name.length <= QUOTED_NAME_LENGTH && quotedNames.size < QUOTED_NAMES_KEPT) {
      quotedNames.set(name, quoted);
    }
  }
  return quoted;
}

/** The JSON of a stored value: a number's is its string, as values are finite (checked on set). */
function valueJson(value: unknown): string {
  return typeof value === 'number' ? `${value}` : JSON.stringify(value);
}

/** Parses stored JSON text; `undefined` when it is not a record this library wrote. */
export function parseRecord(text: unknown): SessionRecord | undefined {
  if (typeof text !== 'string') return undefined;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(stored) || stored.v !== 1) return undefined;
  const { createdAt, lastSeen, csrf, user, revoked, segments } = stored;
  if (!isTime(createdAt) || !isTime(lastSeen) || !isObject(segments)) return undefined;
  if (csrf !== undefined && typeof csrf !== 'string') return undefined;
  if (revoked !== undefined && revoked !== true) return undefined;
  // Records written before sessions could be bound have no `user`: they read as unbound.
  if (user !== undefined && !isBinding(user)) return undefined;
  const record: SessionRecord = { createdAt, lastSeen, segments: new Map() };
  if (csrf !== undefined) record.csrf = csrf;
  if (user !== undefined) {
    record.user = { id: user.id, handle: user.handle, indexUntil: user.indexUntil };
  }
  if (revoked) record.revoked = true;
  for (const [name, segment] of Object.entries(segments)) {
    if (!isObject(segment) || !isObject(segment.values) || !isObject(segment.flash)) {
      return undefined;
    }
    const values = mapOf(segment.values);
    const flash = mapOf(segment.flash);
    if (!values || !flash) return undefined;
    record.segments.set(name, segmentState(values, flash));
  }
  return record;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBinding(value: unknown): value is UserBinding {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    value.id !== '' &&
    typeof value.handle === 'string' &&
    isTime(value.indexUntil)
  );
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
