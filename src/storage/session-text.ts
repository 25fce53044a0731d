import { parseRecord, serializeRecord, type SessionRecord } from '../core/session-record.js';
import type { StoreLookup } from '../core/session-store.js';

/**
 * What a text store keeps under the old id of a regenerated session for a short while: a late
 * request of that id then knows its session moved (and leaves the new cookie alone) instead of
 * mistaking it for a destroyed one.
 */
export const MOVED_TEXT = '{"v":1,"moved":true}';

/** The JSON text a text store keeps for `record`. */
export function encodeSessionText(record: SessionRecord): string {
  return serializeRecord(record);
}

/** Decodes what a text store returned; `version` is what a compare-and-set compares against. */
export function decodeSessionText(text: unknown, version: unknown): StoreLookup {
  if (text === undefined || text === null) return undefined;
  if (text === MOVED_TEXT) return 'moved';
  const record = parseRecord(text);
  if (!record) return 'corrupt';
  return { record, version, size: Buffer.byteLength(text as string) };
}
