import { hash } from 'node:crypto';
import { hasSessionIdShape } from './session-id-shape.js';

/**
 * How many ids keep their digest and key. A request's id was almost always seen by this process a
 * moment ago, and hashing it costs more than the rest of a read from the built-in store. Ids,
 * digests and keys take about 1 MB at this cap.
 */
const REMEMBERED_DIGESTS = 4096;

/** An id's digest, and the last key built from it. */
interface Remembered {
  readonly digest: string;
  prefix: string;
  key: string;
}

const remembered = new Map<string, Remembered>();

/** Whether `id` is one of the well-formed ids whose key was built lately. */
export function isRememberedSessionId(id: string): boolean {
  return remembered.has(id);
}

/**
 * The store key of a session. It holds a hash of the id, never the id itself, so a dump of the
 * store (or a MONITOR on Redis) does not hand out live session cookies.
 */
export function storeKeyFor(prefix: string, id: string): string {
  const known = remembered.get(id);
  // The same key string every time: a Map in the store then finds it by its cached hash and by
  // identity, where a key built anew would be hashed and compared character by character.
  if (known !== undefined) {
    if (known.prefix !== prefix) {
      known.prefix = prefix;
      known.key = prefix + known.digest;
    }
    return known.key;
  }
  const digest = hash('sha256', id, 'base64url');
  const key = prefix + digest;
  // Only well-formed ids: finding an id here stands for its shape check. Checked once per id.
  if (!hasSessionIdShape(id)) return key;
  // The oldest id goes first: Maps keep insertion order.
  if (remembered.size >= REMEMBERED_DIGESTS) remembered.delete(remembered.keys().next().value!);
  // A copy: an id cut from a Cookie header is a view that would keep the whole header alive.
  remembered.set(Buffer.from(id, 'utf16le').toString('utf16le'), { digest, prefix, key });
  return key;
}
