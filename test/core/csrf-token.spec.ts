import fc from 'fast-check';
import {
  decodeCsrfSecret,
  newCsrfSecret,
  newCsrfToken,
  type CsrfSecretSource,
} from '../../src/core/csrf-token.js';
import { Randval, type RandvalInterface } from '../../src/core/randval.js';
import { unmask } from '../support/http/csrf-client.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A source whose secret lives in a variable, as the session's record does. */
function secretSource(initial: Buffer | undefined, randval: RandvalInterface) {
  let secret = initial;
  const source: CsrfSecretSource & { destroy(): void } = {
    current: () => secret,
    regenerate: () => {
      secret = newCsrfSecret(randval);
    },
    destroy: () => {
      secret = undefined;
    },
  };
  return source;
}

function tokenFor(secret: Buffer | undefined, randval: RandvalInterface = new Randval()) {
  const source = secretSource(secret, randval);
  return { token: newCsrfToken(randval, source), source };
}

/** Hands out the given pads in order. */
function padsOf(...pads: Buffer[]): RandvalInterface {
  return { generate: () => pads.shift() ?? Buffer.alloc(32) };
}

function mask(pad: Buffer, secret: Buffer): string {
  const masked = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) masked[i] = pad[i]! ^ secret[i]!;
  return Buffer.concat([pad, masked]).toString('base64url');
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

describe('CsrfToken', () => {
  const secret = Buffer.from(
    '4b1f0c5d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c',
    'hex',
  );

  describe('getValue()', () => {
    it('is the secret masked with a pad from the randval: pad then pad XOR secret, base64url', () => {
      const pad = Buffer.alloc(32, 0xa5);
      const { token } = tokenFor(secret, padsOf(pad));
      const value = token.getValue();
      expect(value).toBe(mask(pad, secret));
      expect(value).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(unmask(value).secret.equals(secret)).toBe(true);
    });

    it('differs on every call (BREACH): 200 calls, 200 values, one secret', () => {
      const { token } = tokenFor(secret);
      const values = Array.from({ length: 200 }, () => token.getValue());
      expect(new Set(values).size).toBe(200);
      for (const value of values) expect(unmask(value).secret.equals(secret)).toBe(true);
    });

    it('throws a clear error once the session is gone', () => {
      const { token, source } = tokenFor(secret);
      source.destroy();
      expect(() => token.getValue()).toThrow(/destroyed.*getCsrfToken/);
    });
  });

  describe('isValid()', () => {
    it('accepts every masked value of the current secret (property)', () => {
      fc.assert(
        fc.property(bytes32, bytes32, (s, pad) => {
          const { token } = tokenFor(s, padsOf(pad));
          return token.isValid(mask(pad, s)) && token.isValid(token.getValue());
        }),
        { numRuns: 500 },
      );
    });

    it('accepts values issued earlier as long as the secret is unchanged', () => {
      const { token } = tokenFor(secret);
      const early = token.getValue();
      for (let i = 0; i < 50; i++) token.getValue();
      expect(token.isValid(early)).toBe(true);
    });

    it('refuses a masked value of any other secret (property)', () => {
      fc.assert(
        fc.property(bytes32, bytes32, bytes32, (mine, theirs, pad) => {
          fc.pre(!mine.equals(theirs));
          return !tokenFor(mine).token.isValid(mask(pad, theirs));
        }),
        { numRuns: 500 },
      );
    });

    it('refuses a valid value with any single bit flipped (property)', () => {
      const { token } = tokenFor(secret);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 7 }), (i, bit) => {
          const bytes = Buffer.from(token.getValue(), 'base64url');
          bytes[i] = bytes[i]! ^ (1 << bit);
          return !token.isValid(bytes.toString('base64url'));
        }),
        { numRuns: 300 },
      );
    });

    it('refuses the non-canonical spellings of a valid value', () => {
      const { token } = tokenFor(secret);
      const value = token.getValue();
      const last = value.at(-1)!;
      // The 86th character carries 2 bits; its 4 low bits are padding a decoder ignores.
      const sameBytes = [...BASE64URL].filter(
        (c) =>
          c !== last &&
          Buffer.from(value.slice(0, -1) + c, 'base64url').equals(Buffer.from(value, 'base64url')),
      );
      expect(sameBytes).toHaveLength(15);
      const accepted = sameBytes.filter((c) => token.isValid(value.slice(0, -1) + c));
      expect(accepted).toEqual([]);
    });

    it('returns false and never throws for 1 000 malformed inputs (property)', () => {
      const { token } = tokenFor(secret);
      const valid = token.getValue();
      const base64url86 = fc
        .string({ unit: fc.constantFrom(...BASE64URL), minLength: 86, maxLength: 86 })
        .filter((s) => !unmask(s).secret.equals(secret));
      const nearMisses = fc.constantFrom<unknown>(
        valid.slice(0, 85),
        `${valid}A`,
        `${valid}=`,
        ` ${valid}`,
        `${valid}\n`,
        valid.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(valid) ? '' : '+'),
        valid.toUpperCase(),
        Buffer.from(valid),
        Buffer.from(valid, 'base64url'),
        [valid],
        { value: valid },
        { toString: () => valid },
        new String(valid),
      );
      const malformed = fc.oneof(
        fc.string(),
        fc.string({ minLength: 86, maxLength: 86 }),
        base64url86,
        fc.integer(),
        fc.double(),
        fc.bigInt(),
        fc.boolean(),
        fc.object(),
        fc.array(fc.anything()),
        fc.constant(null),
        fc.constant(undefined),
        fc.uint8Array({ maxLength: 128 }).map((a) => Buffer.from(a)),
        nearMisses,
      );
      fc.assert(
        fc.property(malformed, (input) => {
          let result: boolean | undefined;
          expect(() => {
            result = token.isValid(input);
          }).not.toThrow();
          return result === false;
        }),
        { numRuns: 1000 },
      );
    });

    it('returns false once the session is gone', () => {
      const { token, source } = tokenFor(secret);
      const value = token.getValue();
      source.destroy();
      expect(token.isValid(value)).toBe(false);
    });
  });

  describe('regenerateValue()', () => {
    it('replaces the secret: every earlier value fails, new ones pass', () => {
      const { token, source } = tokenFor(secret);
      const before = [token.getValue(), token.getValue()];
      token.regenerateValue();
      expect(source.current()!.equals(secret)).toBe(false);
      expect(before.map((v) => token.isValid(v))).toEqual([false, false]);
      expect(token.isValid(token.getValue())).toBe(true);
    });
  });
});

describe('decodeCsrfSecret()', () => {
  it('decodes a stored 43-character secret back to its 32 bytes', () => {
    fc.assert(
      fc.property(bytes32, (s) => decodeCsrfSecret(s.toString('base64url'))!.equals(s)),
      { numRuns: 200 },
    );
  });

  it.each([undefined, '', 'short', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}+`])(
    'treats %p as no secret',
    (stored) => {
      expect(decodeCsrfSecret(stored)).toBeUndefined();
    },
  );
});
