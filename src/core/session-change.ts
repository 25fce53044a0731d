import { decodeCsrfSecret } from './csrf-token.js';
import {
  emptyFlash,
  emptyValues,
  segmentOf,
  writableFlash,
  writableValues,
  type SessionRecord,
  type UserBinding,
} from './session-record.js';

/**
 * One change a request made to its session. A commit replays a request's changes onto the
 * latest stored state instead of writing back the snapshot it loaded, so concurrent requests
 * that touch different keys do not erase each other's writes.
 * @internal
 */
export type SessionChange =
  | { kind: 'set'; segment: string; key: string; value: unknown }
  | { kind: 'remove'; segment: string; key: string }
  | { kind: 'clearSegment'; segment: string }
  | { kind: 'clearAll' }
  | { kind: 'setFlash'; segment: string; key: string; value: unknown }
  | { kind: 'consumeFlash'; segment: string; key: string; json: string }
  /**
   * A flash value this request read and a commit already removed, stored again by a later
   * `keepFlash()`; a flash value set meanwhile under the same key is newer and stays.
   */
  | { kind: 'restoreFlash'; segment: string; key: string; json: string }
  | { kind: 'clearFlash'; segment: string }
  /**
   * A new CSRF secret; with `ifAbsent`, only for a session without one: the first token of a
   * session that other requests share yields to a secret one of them stored meanwhile.
   */
  | { kind: 'csrf'; secret: string; ifAbsent?: true }
  /** No CSRF secret: `regenerateId()` of a session that had none, against one made meanwhile. */
  | { kind: 'dropCsrf' }
  | { kind: 'bindUser'; user: UserBinding | undefined }
  | { kind: 'userIndexed'; handle: string; until: number };

/**
 * Applies `change` to `record` in place. A map that `record` shares with the record it was copied
 * from is copied first, and only when the change alters it.
 */
export function applyChange(record: SessionRecord, change: SessionChange): void {
  switch (change.kind) {
    case 'set':
      writableValues(segmentOf(record, change.segment)).set(change.key, change.value);
      return;
    case 'remove': {
      const segment = record.segments.get(change.segment);
      if (segment?.values.has(change.key)) writableValues(segment).delete(change.key);
      return;
    }
    case 'clearSegment': {
      const segment = record.segments.get(change.segment);
      if (segment?.values.size) emptyValues(segment);
      return;
    }
    case 'clearAll':
      record.segments.clear();
      return;
    case 'setFlash':
      writableFlash(segmentOf(record, change.segment)).set(change.key, change.value);
      return;
    case 'consumeFlash': {
      // Only the value this request read is consumed: a newer flash set meanwhile by another
      // request under the same key must survive for its own reader.
      const segment = record.segments.get(change.segment);
      if (
        segment?.flash.has(change.key) &&
        JSON.stringify(segment.flash.get(change.key)) === change.json
      ) {
        writableFlash(segment).delete(change.key);
      }
      return;
    }
    case 'restoreFlash': {
      const segment = segmentOf(record, change.segment);
      if (!segment.flash.has(change.key)) {
        writableFlash(segment).set(change.key, JSON.parse(change.json));
      }
      return;
    }
    case 'clearFlash': {
      const segment = record.segments.get(change.segment);
      if (segment?.flash.size) emptyFlash(segment);
      return;
    }
    case 'csrf':
      if (change.ifAbsent && decodeCsrfSecret(record.csrf) !== undefined) return;
      record.csrf = change.secret;
      return;
    case 'dropCsrf':
      delete record.csrf;
      return;
    case 'bindUser':
      if (change.user === undefined) delete record.user;
      else record.user = change.user;
      return;
    case 'userIndexed':
      // Only for the binding it was written for: a concurrent request may have rebound the session.
      if (record.user?.handle === change.handle && record.user.indexUntil < change.until) {
        record.user = { ...record.user, indexUntil: change.until };
      }
      return;
  }
}
