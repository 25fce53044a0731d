import { applyChange } from '../../src/core/session-change.js';
import { newRecord } from '../../src/core/session-record.js';

const SECRET_A = 'A'.repeat(43);
const SECRET_B = 'B'.repeat(43);

describe('applyChange: a CSRF secret set only if absent', () => {
  it('gives a session without a secret the new one', () => {
    const record = newRecord(0);
    applyChange(record, { kind: 'csrf', secret: SECRET_A, ifAbsent: true });
    expect(record.csrf).toBe(SECRET_A);
  });

  it('keeps a secret another request stored first', () => {
    const record = { ...newRecord(0), csrf: SECRET_B };
    applyChange(record, { kind: 'csrf', secret: SECRET_A, ifAbsent: true });
    expect(record.csrf).toBe(SECRET_B);
  });

  it('replaces stored text that is no secret (foreign or damaged data)', () => {
    const record = { ...newRecord(0), csrf: 'not-a-secret' };
    applyChange(record, { kind: 'csrf', secret: SECRET_A, ifAbsent: true });
    expect(record.csrf).toBe(SECRET_A);
  });

  it('leaves the plain change replacing any secret (regenerateValue())', () => {
    const record = { ...newRecord(0), csrf: SECRET_B };
    applyChange(record, { kind: 'csrf', secret: SECRET_A });
    expect(record.csrf).toBe(SECRET_A);
  });
});
