import { randomBytes } from 'node:crypto';

/** Source of the random bytes behind session ids and CSRF secrets (Aura's `RandvalInterface`). */
export interface RandvalInterface {
  /** Returns 32 cryptographically secure random bytes. */
  generate(): Buffer;
}

/** Default {@link RandvalInterface}: 32 bytes from the operating system's CSPRNG. */
export class Randval implements RandvalInterface {
  /** 32 bytes from `crypto.randomBytes`. */
  generate(): Buffer {
    return randomBytes(32);
  }
}
