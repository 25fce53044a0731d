import { applyChange } from '../../src/core/session-change.js';
import { copyRecord, parseRecord, serializeRecord } from '../../src/core/session-record.js';

const binding = { id: 'alice', handle: 'h'.repeat(22), indexUntil: 1_000 };

describe('the user binding in the stored session', () => {
  it('round-trips through the JSON text, and records written before it read as unbound', () => {
    const old = '{"v":1,"createdAt":1,"lastSeen":2,"segments":{"S":{"values":{"a":1},"flash":{}}}}';
    const record = parseRecord(old)!;
    expect(record.user).toBeUndefined();
    expect(record.revoked).toBeUndefined();
    expect(record.segments.get('S')?.values.get('a')).toBe(1);

    record.user = binding;
    const text = serializeRecord(record);
    expect(parseRecord(text)!.user).toEqual(binding);
    expect(parseRecord(text)!.segments.get('S')?.values.get('a')).toBe(1);
  });

  it('keeps a tombstone a tombstone', () => {
    const text = serializeRecord({ createdAt: 1, lastSeen: 1, revoked: true, segments: new Map() });
    expect(parseRecord(text)!.revoked).toBe(true);
    expect(parseRecord('{"v":1,"createdAt":1,"lastSeen":2,"segments":{},"revoked":1}')).toBe(
      undefined,
    );
  });

  it.each([
    ['a user that is not an object', '"alice"'],
    ['a user without a handle', '{"id":"alice","indexUntil":0}'],
    ['a user id that is not a string', '{"id":7,"handle":"h","indexUntil":0}'],
    ['an indexUntil that is not a time', '{"id":"a","handle":"h","indexUntil":-1}'],
  ])('treats %s as data it did not write', (_, user) => {
    expect(parseRecord(`{"v":1,"createdAt":1,"lastSeen":2,"segments":{},"user":${user}}`)).toBe(
      undefined,
    );
  });

  it('survives clearAll; a copy carries it; userIndexed applies only to its own binding', () => {
    const record = parseRecord('{"v":1,"createdAt":1,"lastSeen":2,"segments":{}}')!;
    applyChange(record, { kind: 'bindUser', user: binding });
    applyChange(record, { kind: 'clearAll' });
    expect(record.user).toEqual(binding);
    const copy = copyRecord(record);
    applyChange(copy, { kind: 'userIndexed', handle: 'other'.padEnd(22, 'x'), until: 5_000 });
    expect(copy.user!.indexUntil).toBe(1_000);
    applyChange(copy, { kind: 'userIndexed', handle: binding.handle, until: 5_000 });
    expect(copy.user!.indexUntil).toBe(5_000);
    expect(record.user!.indexUntil).toBe(1_000);
    applyChange(copy, { kind: 'bindUser', user: undefined });
    expect(copy.user).toBeUndefined();
  });
});
