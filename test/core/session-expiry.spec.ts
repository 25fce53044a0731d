import { newRecord } from '../../src/core/session-record.js';
import { isExpired, needsTouch, ttlOf } from '../../src/core/session-expiry.js';

const CREATED = 1_700_000_000_000;
const IDLE = 30 * 60_000;
const ABSOLUTE = 8 * 60 * 60_000;

/** A session created at CREATED and last written `seenAfter` ms later. */
function recordSeen(seenAfter = 0) {
  const record = newRecord(CREATED);
  record.lastSeen = CREATED + seenAfter;
  return record;
}

describe('isExpired', () => {
  const idleOnly = { idleTimeout: IDLE, absoluteTimeout: undefined, touchAfter: 0 };

  it('keeps a session up to the last millisecond of its idle timeout, and ends it on the next', () => {
    const record = recordSeen(5_000);
    expect(isExpired(idleOnly, record, record.lastSeen + IDLE - 1)).toBe(false);
    expect(isExpired(idleOnly, record, record.lastSeen + IDLE)).toBe(true);
  });

  it('counts idleness from the last write, not from creation', () => {
    const record = recordSeen(IDLE);
    expect(isExpired(idleOnly, record, CREATED + IDLE + 1)).toBe(false);
  });

  it('never ends an active session on age when there is no absolute timeout', () => {
    const now = CREATED + 365 * 24 * 60 * 60_000;
    expect(isExpired(idleOnly, recordSeen(now - CREATED - 1), now)).toBe(false);
  });

  it('ends an active session at its absolute timeout, to the millisecond', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: 0 };
    const justBefore = CREATED + ABSOLUTE - 1;
    // Written a second ago: only the absolute timeout can end it.
    expect(isExpired(config, recordSeen(ABSOLUTE - 1_001), justBefore)).toBe(false);
    expect(isExpired(config, recordSeen(ABSOLUTE - 1_000), justBefore + 1)).toBe(true);
  });

  it('ends a session on whichever timeout comes first', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: 0 };
    expect(isExpired(config, recordSeen(0), CREATED + IDLE)).toBe(true);
  });
});

describe('ttlOf', () => {
  it('is the idle timeout when there is no absolute timeout', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: undefined, touchAfter: 0 };
    expect(ttlOf(config, recordSeen(), CREATED + 123_456)).toBe(IDLE);
  });

  it('is the idle timeout while the absolute end is further away', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: 0 };
    expect(ttlOf(config, recordSeen(), CREATED + 1_000)).toBe(IDLE);
  });

  it('is what is left of the absolute timeout once that ends first', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: 0 };
    expect(ttlOf(config, recordSeen(), CREATED + ABSOLUTE - 5_000)).toBe(5_000);
    expect(ttlOf(config, recordSeen(), CREATED + ABSOLUTE - 1)).toBe(1);
  });

  it('is never below 1 ms, even at or past the absolute end (a store refuses a ttl of 0)', () => {
    const config = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: 0 };
    expect(ttlOf(config, recordSeen(), CREATED + ABSOLUTE)).toBe(1);
    expect(ttlOf(config, recordSeen(), CREATED + ABSOLUTE + 60_000)).toBe(1);
  });
});

describe('needsTouch', () => {
  const config = { idleTimeout: IDLE, absoluteTimeout: undefined, touchAfter: 60_000 };

  it('asks for a touch once touchAfter has passed since the last write, to the millisecond', () => {
    const record = recordSeen(10_000);
    expect(needsTouch(config, record, record.lastSeen + 59_999)).toBe(false);
    expect(needsTouch(config, record, record.lastSeen + 60_000)).toBe(true);
  });

  it('touches on every read with touchAfter 0', () => {
    const record = recordSeen(10_000);
    expect(needsTouch({ ...config, touchAfter: 0 }, record, record.lastSeen)).toBe(true);
  });
});
