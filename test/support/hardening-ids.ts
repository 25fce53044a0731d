import { createHash } from 'node:crypto';

/** The store key the design gives a session id: prefix + base64url SHA-256 of the id. */
export function storeKeyOf(id: string, prefix = 'sess:'): string {
  return prefix + createHash('sha256').update(id).digest('base64url');
}

/** A well-formed session id (43 base64url characters) that nothing ever issued. */
export function forgedId(seed: string): string {
  return createHash('sha256').update(`forged:${seed}`).digest('base64url');
}
