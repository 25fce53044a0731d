import { hash } from 'node:crypto';

/**
 * How many ids keep their digest. A request's id was almost always seen by this process a moment
 * ago, and hashing it costs more than the rest of a read from the built-in store. Ids and
 * digests take about 1 MB at this cap.
 */
const REMEMBERED_DIGESTS = 4096;

const digests = new Map<string, string>();

/**
 * The store key of a session. It holds a hash of the id, never the id itself, so a dump of the
 * store (or a MONITOR on Redis) does not hand out live session cookies.
 */
export function storeKeyFor(prefix: string, id: string): string {
  return prefix + digestOf(id);
}

function digestOf(id: string): string {
  const known = digests.get(id);
  if (known !== undefined) return known;
  const digest = hash('sha256', id, 'base64url');
  // The oldest id goes first: Maps keep insertion order.
  if (digests.size >= REMEMBERED_DIGESTS) digests.delete(digests.keys().next().value!);
  // A copy: an id cut from a Cookie header is a view that would keep the whole header alive.
  digests.set(Buffer.from(id, 'utf16le').toString('utf16le'), digest);
  return digest;
}
