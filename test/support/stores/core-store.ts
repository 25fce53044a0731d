import { createHash } from 'node:crypto';
import type { Keyv } from 'keyv';

/** The JSON shape the library stores for a session (see src/core/session-record.ts). */
export interface StoredSession {
  v: number;
  createdAt: number;
  lastSeen: number;
  csrf?: string;
  segments: Record<string, { values: Record<string, unknown>; flash: Record<string, unknown> }>;
}

/** The store key the library uses for session `id`: the prefix plus a hash, never the raw id. */
export function storeKeyOf(id: string, prefix = 'sess:'): string {
  return prefix + createHash('sha256').update(id).digest('base64url');
}

/**
 * The record stored for `id`, read through the Keyv prototype so a `countingCache()`'s counters
 * only ever count the library's own calls.
 */
export async function peekSession(
  keyv: Keyv,
  id: string,
  prefix = 'sess:',
): Promise<StoredSession | undefined> {
  const get = (Object.getPrototypeOf(keyv) as Keyv).get as (key: string) => Promise<unknown>;
  const text = await get.call(keyv, storeKeyOf(id, prefix));
  return typeof text === 'string' ? (JSON.parse(text) as StoredSession) : undefined;
}

/** The attributes of one Set-Cookie header, lower-cased names, `true` for flags. */
export function cookieAttributes(header: string): Map<string, string | true> {
  const attributes = new Map<string, string | true>();
  for (const part of header.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) attributes.set(part.trim().toLowerCase(), true);
    else attributes.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return attributes;
}

/** A well-formed session id (43 base64url characters) that no store has ever seen. */
export function forgedSessionId(seed = 'forged'): string {
  return createHash('sha256').update(seed).digest('base64url');
}
