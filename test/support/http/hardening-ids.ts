import { createHash } from 'node:crypto';

/** A well-formed session id (43 base64url characters) that nothing ever issued. */
export function forgedId(seed: string): string {
  return createHash('sha256').update(`forged:${seed}`).digest('base64url');
}
