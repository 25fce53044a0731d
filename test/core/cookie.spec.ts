import { parse } from 'cookie';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readSessionId } from '../../src/core/cookie.js';

const ID = randomBytes(32).toString('base64url');
const OTHER = randomBytes(32).toString('base64url');

describe('readSessionId', () => {
  it('reads a well-formed id alone or among other cookies', () => {
    expect(readSessionId(`sid=${ID}`, 'sid')).toBe(ID);
    expect(readSessionId(`theme=dark; sid=${ID}; lang=en`, 'sid')).toBe(ID);
    expect(readSessionId(`theme=dark;sid=${ID}`, 'sid')).toBe(ID);
    expect(readSessionId(`  sid=${ID}  `, 'sid')).toBe(ID);
  });

  it('reads the configured cookie name only, case-sensitively', () => {
    expect(readSessionId(`app_session=${ID}`, 'app_session')).toBe(ID);
    expect(readSessionId(`sid=${ID}`, 'app_session')).toBeUndefined();
    expect(readSessionId(`SID=${ID}`, 'sid')).toBeUndefined();
    expect(readSessionId(`SID=${OTHER}; sid=${ID}`, 'sid')).toBe(ID);
    expect(readSessionId(`xsid=${ID}; sid2=${ID}`, 'sid')).toBeUndefined();
  });

  it('treats a missing or empty header as no id', () => {
    expect(readSessionId(undefined, 'sid')).toBeUndefined();
    expect(readSessionId('', 'sid')).toBeUndefined();
    expect(readSessionId('theme=dark', 'sid')).toBeUndefined();
  });

  it.each([
    ['one character short', `sid=${ID.slice(1)}`],
    ['one character long', `sid=${ID}A`],
    ['a standard base64 alphabet', `sid=${ID.slice(2)}+/`],
    ['base64 padding', `sid=${ID.slice(1)}=`],
    ['an empty value', 'sid='],
    ['a name without =', 'sid'],
    ['malformed percent-encoding', 'sid=%E0%A4%A%ZZ'],
    ['percent-encoded control characters', `sid=%00%0A${ID.slice(2)}`],
    ['a value with a space inside', `sid=${ID.slice(0, 20)} ${ID.slice(21)}`],
  ])('treats %s as no id', (_, header) => {
    expect(readSessionId(header, 'sid')).toBeUndefined();
  });

  it('treats two cookies of the same name as no id, whatever their values', () => {
    expect(readSessionId(`sid=${ID}; sid=${OTHER}`, 'sid')).toBeUndefined();
    expect(readSessionId(`sid=${ID}; sid=${ID}`, 'sid')).toBeUndefined();
    expect(readSessionId(`sid=; sid=${ID}`, 'sid')).toBeUndefined();
    expect(readSessionId(`sid=${ID}; theme=dark; sid =${OTHER}`, 'sid')).toBeUndefined();
  });

  it('reads the id from a header as large as the server lets through', () => {
    // An app behind a proxy raises Node's header limit for large cookies: the session stays.
    const huge = `pad=${'x'.repeat(60 * 1024)}; sid=${ID}`;
    expect(readSessionId(huge, 'sid')).toBe(ID);
    expect(readSessionId(`pad="${'%41'.repeat(20_000)}"; sid=${ID}`, 'sid')).toBe(ID);
    expect(readSessionId(`sid=${'A'.repeat(15_000)}`, 'sid')).toBeUndefined();
  });

  it('works for cookie names that are Object.prototype members', () => {
    expect(readSessionId(`constructor=${ID}`, 'constructor')).toBe(ID);
    expect(readSessionId('theme=dark', 'constructor')).toBeUndefined();
    expect(readSessionId('theme=dark', '__proto__')).toBeUndefined();
    expect(readSessionId('theme=dark', 'toString')).toBeUndefined();
  });

  it('returns a well-formed id or undefined for any header, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
        const id = readSessionId(`a=1; sid=${value}; b=2`, 'sid');
        expect(id === undefined || /^[A-Za-z0-9_-]{43}$/.test(id)).toBe(true);
      }),
    );
  });

  it('finds the id exactly when one cookie of the name carries it, among look-alike names and values', () => {
    const pair = fc.record({
      name: fc.constantFrom('sid', 'xsid', 'sid2', 'SID', 'theme'),
      value: fc.constantFrom(ID, OTHER, 'sid', 'sid=1', ''),
    });
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        const header = pairs.map(({ name, value }) => `${name}=${value}`).join('; ');
        const named = pairs.filter((p) => p.name === 'sid');
        const expected =
          named.length === 1 && named[0]!.value.length === 43 ? named[0]!.value : undefined;
        expect(readSessionId(header, 'sid')).toBe(expected);
      }),
    );
  });

  it('reads what the cookie parser reads, however the cookies are written', () => {
    const piece = fc.constantFrom(
      `sid=${ID}`,
      ` sid=${ID}`,
      `sid=${ID} `,
      `sid = ${ID}`,
      `sid="${ID}"`,
      `sid=%${ID.charCodeAt(0).toString(16)}${ID.slice(1)}`,
      `sid=${ID.slice(1)}`,
      `xsid=${OTHER}`,
      `a=sid=${OTHER}`,
      `sid2=${OTHER}`,
      'theme=dark',
      '',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 5 }),
        fc.constantFrom(';', '; ', ' ; '),
        (pieces, separator) => {
          const header = pieces.join(separator);
          const named = header.split(';').filter((part) => part.split('=')[0]!.trim() === 'sid');
          const parsed = parse(header).sid;
          const expected =
            named.length === 1 && parsed !== undefined && /^[A-Za-z0-9_-]{43}$/.test(parsed)
              ? parsed
              : undefined;
          expect(readSessionId(header, 'sid')).toBe(expected);
        },
      ),
    );
  });

  it('reads back every id the library can issue', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const id = Buffer.from(bytes).toString('base64url');
        expect(readSessionId(`other=1; sid=${id}`, 'sid')).toBe(id);
      }),
    );
  });
});
