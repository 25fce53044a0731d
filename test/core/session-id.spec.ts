import fc from 'fast-check';
import { Randval } from '../../src/core/randval.js';
import { isWellFormedSessionId, newSessionId } from '../../src/core/session-id.js';
import { storeKeyFor } from '../../src/core/store-key.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// The characters on either side of each range of the alphabet, and look-alikes beyond ASCII.
const NEAR_MISSES = ['@', '[', '`', '{', '/', ':', ',', '.', '^', '+', '=', ' ', '\u00e9', 'Ａ'];
const idChar = fc.constantFrom(...ID_ALPHABET);
const wellFormed = fc.string({ unit: idChar, minLength: 43, maxLength: 43 });

describe('isWellFormedSessionId', () => {
  it('accepts exactly 43 characters of base64url', () => {
    fc.assert(fc.property(wellFormed, (id) => isWellFormedSessionId(id)));
  });

  it('accepts every id the library issues', () => {
    const randval = new Randval();
    for (let i = 0; i < 200; i++) expect(isWellFormedSessionId(newSessionId(randval))).toBe(true);
  });

  it('refuses a well-formed id with one character swapped for a near miss', () => {
    fc.assert(
      fc.property(
        wellFormed,
        fc.nat({ max: 42 }),
        fc.constantFrom(...NEAR_MISSES),
        (id, at, miss) => !isWellFormedSessionId(id.slice(0, at) + miss + id.slice(at + 1)),
      ),
    );
  });

  it('refuses 42 and 44 characters, and the empty string', () => {
    expect(isWellFormedSessionId('A'.repeat(42))).toBe(false);
    expect(isWellFormedSessionId('A'.repeat(44))).toBe(false);
    expect(isWellFormedSessionId('')).toBe(false);
  });

  it('keeps refusing an id of the wrong shape after a store key was built for it', () => {
    const malformed = `${'A'.repeat(42)}.`;
    storeKeyFor('sess:', malformed);
    expect(isWellFormedSessionId(malformed)).toBe(false);
    const wellFormedId = 'B'.repeat(43);
    storeKeyFor('sess:', wellFormedId);
    expect(isWellFormedSessionId(wellFormedId)).toBe(true);
  });

  it('agrees with the pattern /^[A-Za-z0-9_-]{43}$/ on any string', () => {
    const pattern = /^[A-Za-z0-9_-]{43}$/;
    const anyString = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', minLength: 43, maxLength: 43 }),
      fc.string({
        unit: fc.oneof(
          { weight: 40, arbitrary: idChar },
          { weight: 1, arbitrary: fc.constantFrom(...NEAR_MISSES) },
        ),
        minLength: 42,
        maxLength: 44,
      }),
    );
    fc.assert(
      fc.property(anyString, (value) => isWellFormedSessionId(value) === pattern.test(value)),
      { numRuns: 2000 },
    );
  });
});
