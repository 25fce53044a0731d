import { newCsrfSecret } from '../../src/core/csrf-token.js';
import { SessionOptionsError } from '../../src/core/errors.js';
import { Randval, type RandvalInterface } from '../../src/core/randval.js';
import { newSessionId } from '../../src/core/session-id.js';
import { resolveSessionConfig } from '../../src/core/session-options.js';

const fixed = (bytes: Buffer): RandvalInterface => ({ generate: () => Buffer.from(bytes) });

describe('Randval', () => {
  it('returns 32 bytes in a Buffer', () => {
    const bytes = new Randval().generate();
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes).toHaveLength(32);
  });

  it('never repeats itself and covers every byte value over 1 000 calls', () => {
    const randval = new Randval();
    const outputs = Array.from({ length: 1000 }, () => randval.generate());
    expect(new Set(outputs.map((b) => b.toString('hex'))).size).toBe(1000);
    // 32 000 bytes: each of the 256 values is expected ~125 times; a missing one means a bias.
    const seen = new Set(outputs.flatMap((b) => [...b]));
    expect(seen.size).toBe(256);
  });
});

describe('what the randval feeds', () => {
  const bytes = Buffer.from(
    '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    'hex',
  );

  it('a session id is its 32 bytes in base64url, 43 characters', () => {
    const id = newSessionId(fixed(bytes));
    expect(id).toBe(bytes.toString('base64url'));
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a CSRF secret is its 32 bytes', () => {
    expect(newCsrfSecret(fixed(bytes)).equals(bytes)).toBe(true);
  });

  it.each([0, 16, 31, 33, 64])('refuses a randval that returns %i bytes', (length) => {
    const wrong = fixed(Buffer.alloc(length, 7));
    const message = new RegExp(`randval\\.generate\\(\\) must return 32 bytes, got ${length}`);
    expect(() => newSessionId(wrong)).toThrow(RangeError);
    expect(() => newSessionId(wrong)).toThrow(message);
    expect(() => newCsrfSecret(wrong)).toThrow(RangeError);
    expect(() => newCsrfSecret(wrong)).toThrow(message);
  });
});

describe('the randval option', () => {
  it('defaults to Randval', () => {
    expect(resolveSessionConfig({}).randval).toBeInstanceOf(Randval);
  });

  it('keeps a custom RandvalInterface as given', () => {
    const custom = fixed(Buffer.alloc(32, 1));
    expect(resolveSessionConfig({ randval: custom }).randval).toBe(custom);
  });

  it.each([
    ['16 bytes', () => Buffer.alloc(16), /a Buffer of 32 bytes, got 16 bytes/],
    ['a string', () => 'x'.repeat(32), /a Buffer of 32 bytes, got string/],
    [
      'an error',
      () => {
        throw new Error('entropy source gone');
      },
      /generate\(\) threw: entropy source gone/,
    ],
  ])('refuses at startup a randval whose generate() returns %s', (_, generate, message) => {
    const resolve = () => resolveSessionConfig({ randval: { generate } as RandvalInterface });
    expect(resolve).toThrow(SessionOptionsError);
    expect(resolve).toThrow(message);
  });

  it.each([{}, { generate: 'nope' }, 42])('refuses %p at startup, naming the option', (bad) => {
    const resolve = () => resolveSessionConfig({ randval: bad as unknown as RandvalInterface });
    expect(resolve).toThrow(SessionOptionsError);
    expect(resolve).toThrow(/"randval"/);
  });
});
