import { newRecord } from '../../src/core/session-record.js';
import type { StoredSession } from '../../src/core/session-store.js';
import { RecentSessions } from '../../src/storage/recent-sessions.js';

function session(text: string): StoredSession {
  return { record: newRecord(0), version: text, size: text.length };
}

describe('RecentSessions', () => {
  it('finds a session only with the exact text it was decoded from', () => {
    const recent = new RecentSessions();
    const stored = session('{"a":1}');
    recent.remember('k', '{"a":1}', stored, 5);
    expect(recent.find('k', '{"a":1}')).toEqual({ text: '{"a":1}', session: stored, expires: 5 });
    expect(recent.find('k', '{"a":2}')).toBeUndefined();
    expect(recent.find('other', '{"a":1}')).toBeUndefined();
  });

  it('a newer text replaces the older one, and a forgotten key is found no more', () => {
    const recent = new RecentSessions();
    recent.remember('k', 'one', session('one'), undefined);
    recent.remember('k', 'two', session('two'), undefined);
    expect(recent.find('k', 'one')).toBeUndefined();
    expect(recent.find('k', 'two')).toBeDefined();
    recent.forget('k');
    expect(recent.find('k', 'two')).toBeUndefined();
    expect(recent.size).toBe(0);
  });

  it('keeps at most 1000 sessions, dropping the one remembered longest ago', () => {
    const recent = new RecentSessions();
    for (let i = 0; i <= 1000; i++) recent.remember(`k${i}`, `t${i}`, session(`t${i}`), undefined);
    expect(recent.size).toBe(1000);
    expect(recent.find('k0', 't0')).toBeUndefined();
    expect(recent.find('k1', 't1')).toBeDefined();
    expect(recent.find('k1000', 't1000')).toBeDefined();
  });

  it('does not keep a text over 4096 characters, and drops what it had for that key', () => {
    const recent = new RecentSessions();
    const big = 'x'.repeat(4097);
    recent.remember('k', 'small', session('small'), undefined);
    recent.remember('k', big, session(big), undefined);
    expect(recent.find('k', big)).toBeUndefined();
    expect(recent.find('k', 'small')).toBeUndefined();
    recent.remember('k', 'x'.repeat(4096), session('x'), undefined);
    expect(recent.size).toBe(1);
  });
});
