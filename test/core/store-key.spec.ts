import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { storeKeyFor } from '../../src/core/store-key.js';

const sha256 = (id: string) => createHash('sha256').update(id).digest('base64url');
const newId = () => randomBytes(32).toString('base64url');

describe('storeKeyFor', () => {
  it('is the prefix and the SHA-256 of the id, whatever the id holds', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'binary' }), (prefix, id) => {
        expect(storeKeyFor(prefix, id)).toBe(prefix + sha256(id));
        // Asked again, the remembered digest must be the same id's.
        expect(storeKeyFor(prefix, id)).toBe(prefix + sha256(id));
      }),
    );
  });

  it('never holds the id itself', () => {
    const id = newId();
    expect(storeKeyFor('', id)).not.toContain(id);
  });

  it('tells apart ids that differ only outside Latin-1', () => {
    expect(storeKeyFor('', 'id\u0100')).toBe(sha256('id\u0100'));
    expect(storeKeyFor('', 'id\u0000')).toBe(sha256('id\u0000'));
    expect(storeKeyFor('', 'id\ud800')).toBe(sha256('id\ud800'));
  });

  it('gives every id its own key, asked again after thousands of other ids', () => {
    const first = newId();
    const others = Array.from({ length: 10_000 }, newId);
    const keys = new Map(others.map((id) => [id, storeKeyFor('s:', id)]));
    expect(storeKeyFor('s:', first)).toBe('s:' + sha256(first));
    for (const id of others) {
      expect(storeKeyFor('s:', id)).toBe(keys.get(id));
      expect(keys.get(id)).toBe('s:' + sha256(id));
    }
    expect(storeKeyFor('s:', first)).toBe('s:' + sha256(first));
  });

  it('keeps the prefix apart from the cached hash: two apps, one id', () => {
    const id = newId();
    expect(storeKeyFor('a:', id)).toBe('a:' + sha256(id));
    expect(storeKeyFor('b:', id)).toBe('b:' + sha256(id));
    expect(storeKeyFor('a:', id)).toBe('a:' + sha256(id));
  });
});
