import { printable, printableTail, quoted } from '../../src/core/log-text.js';
import { SessionTooLargeError } from '../../src/core/errors.js';
import { assertJsonValue } from '../../src/core/json-value.js';

describe('names and keys in messages', () => {
  it('escape what would break a log line, and keep the rest as written', () => {
    expect(printable('App\\Cart')).toBe('App\\Cart');
    expect(printable('a\nERROR [Nest] forged\r\u2028\u0000\u009b')).toBe(
      'a\\u000aERROR [Nest] forged\\u000d\\u2028\\u0000\\u009b',
    );
    expect(quoted('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('show at most the first 100 characters of a long one, or of a path its last 100', () => {
    expect(printable('x'.repeat(1_000_000))).toBe(`${'x'.repeat(100)}…`);
    expect(printableTail(`${'k'.repeat(120)}.d`)).toBe(`…${'k'.repeat(98)}.d`);
  });

  it('are printable in the too-large error and the refused-value error', () => {
    const tooLarge = new SessionTooLargeError('Shop\nERROR forged', 70_000, 65_536);
    expect(tooLarge.message).toBe(
      'Session too large: writing to segment "Shop\\u000aERROR forged" would make the session 70000 bytes, over maxSize 65536',
    );
    expect(() => assertJsonValue(() => undefined, `k\n${'y'.repeat(200)}`)).toThrow(
      `Session value for key "k\\u000a${'y'.repeat(98)}…" cannot be stored`,
    );
  });
});
