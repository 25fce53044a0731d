import { timingSafeEqual } from 'node:crypto';
import type { RandvalInterface } from './randval.js';

const SECRET_BYTES = 32;
// pad (32 bytes) + pad XOR secret (32 bytes), base64url without padding.
const TOKEN_LENGTH = 86;
// The last character carries 2 data bits and 4 zero padding bits: only A, Q, g and w are
// canonical, so a token has exactly one accepted spelling.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{85}[AQgw]$/;

// Set by the class's static block, so that the published typings show the constructor as
// private: no code outside the library can call it.
let create: (randval: RandvalInterface, secrets: CsrfSecretSource) => CsrfToken;

/** The CSRF token of a session whose secret `secrets` holds, for `SessionManager.getCsrfToken()`. */
export function newCsrfToken(randval: RandvalInterface, secrets: CsrfSecretSource): CsrfToken {
  return create(randval, secrets);
}

/**
 * The session's CSRF token (Aura's `CsrfToken`). The secret stays in the session; what
 * {@link CsrfToken.getValue} hands out is the secret masked with a fresh one-time pad, so the
 * token in a compressed HTTPS response changes every time (BREACH) while every masked form of
 * the current secret stays valid, in every open tab.
 */
export class CsrfToken {
  static {
    create = (randval, secrets) => new CsrfToken(randval, secrets);
  }

  /** Created by `SessionManager.getCsrfToken()`. */
  private constructor(
    private readonly randval: RandvalInterface,
    private readonly secrets: CsrfSecretSource,
  ) {}

  /**
   * The secret, masked with a fresh random pad: a different string on each call.
   * @throws Error once the token's session was destroyed (`destroy()`); call `getCsrfToken()`
   * again for a token of the next session.
   */
  getValue(): string {
    const secret = this.secrets.current();
    if (!secret) {
      throw new Error('The session of this CSRF token was destroyed; call getCsrfToken() again');
    }
    const pad = newCsrfSecret(this.randval);
    const masked = Buffer.alloc(SECRET_BYTES);
    for (let i = 0; i < SECRET_BYTES; i++) masked[i] = pad[i]! ^ secret[i]!;
    return Buffer.concat([pad, masked]).toString('base64url');
  }

  /**
   * True when `value` is a masked form of the current secret. Timing-safe; false, never an
   * exception, for anything malformed (non-strings, wrong length, bad encoding).
   */
  isValid(value: unknown): boolean {
    if (typeof value !== 'string' || value.length !== TOKEN_LENGTH || !TOKEN_SHAPE.test(value)) {
      return false;
    }
    const secret = this.secrets.current();
    if (!secret) return false;
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== SECRET_BYTES * 2) return false;
    const unmasked = Buffer.alloc(SECRET_BYTES);
    for (let i = 0; i < SECRET_BYTES; i++) unmasked[i] = bytes[i]! ^ bytes[i + SECRET_BYTES]!;
    return timingSafeEqual(unmasked, secret);
  }

  /** Replaces the secret: every token handed out before becomes invalid. */
  regenerateValue(): void {
    this.secrets.regenerate();
  }
}

/** @internal Where a {@link CsrfToken} finds the session's current secret. */
export interface CsrfSecretSource {
  /** The current secret, or `undefined` once the session is gone. */
  current(): Buffer | undefined;
  /** Replaces the secret with a new random one. */
  regenerate(): void;
}

/** A new CSRF secret of 32 bytes from `randval`. */
export function newCsrfSecret(randval: RandvalInterface): Buffer {
  const secret = randval.generate();
  if (secret.length !== SECRET_BYTES) {
    throw new RangeError(`randval.generate() must return 32 bytes, got ${secret.length}`);
  }
  return secret;
}

/** Decodes a stored secret; `undefined` when it is not 32 bytes of base64url. */
export function decodeCsrfSecret(stored: string | undefined): Buffer | undefined {
  if (stored === undefined || !/^[A-Za-z0-9_-]{43}$/.test(stored)) return undefined;
  return Buffer.from(stored, 'base64url');
}
