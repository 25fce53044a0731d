import { jest } from '@jest/globals';
import { REPEAT_WINDOW_MS, RepeatedWarnings } from '../../src/core/repeated-warnings.js';

describe('RepeatedWarnings (one line per warning per 10 s)', () => {
  let written: string[];
  let warnings: RepeatedWarnings;

  beforeEach(() => {
    jest.useFakeTimers();
    written = [];
    warnings = new RepeatedWarnings({ warn: (message) => written.push(message) });
  });
  afterEach(() => {
    warnings.flush();
    jest.useRealTimers();
  });

  it('writes a warning at once, and its repeats within the window as one count when it ends', () => {
    warnings.warn('Session store unavailable: load failed (down)');
    expect(written).toEqual(['Session store unavailable: load failed (down)']);
    for (let i = 0; i < 1200; i++) warnings.warn('Session store unavailable: load failed (down)');
    expect(written).toHaveLength(1);
    jest.advanceTimersByTime(REPEAT_WINDOW_MS - 1);
    expect(written).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(written).toEqual([
      'Session store unavailable: load failed (down)',
      'Session store unavailable: load failed (down) (1200 more like it within 10 s)',
    ]);
  });

  it('writes a count for a window with repeats only', () => {
    warnings.warn('a');
    warnings.warn('a');
    warnings.warn('b');
    jest.advanceTimersByTime(REPEAT_WINDOW_MS);
    expect(written).toEqual(['a', 'b', 'a (1 more like it within 10 s)']);
  });

  it('writes the warning again at once after its window ended', () => {
    warnings.warn('a');
    warnings.warn('a');
    jest.advanceTimersByTime(REPEAT_WINDOW_MS);
    warnings.warn('a');
    expect(written).toEqual(['a', 'a (1 more like it within 10 s)', 'a']);
  });

  it('counts a message that differs only in its numbers with the first', () => {
    warnings.warn('commit failed (no answer in 300 ms)');
    warnings.warn('commit failed (no answer in 299 ms)');
    warnings.warn('Session too large: 70000 bytes over maxSize 65536');
    warnings.warn('Session too large: 71234 bytes over maxSize 65536');
    jest.advanceTimersByTime(REPEAT_WINDOW_MS);
    expect(written).toEqual([
      'commit failed (no answer in 300 ms)',
      'Session too large: 70000 bytes over maxSize 65536',
      'commit failed (no answer in 300 ms) (1 more like it within 10 s)',
      'Session too large: 70000 bytes over maxSize 65536 (1 more like it within 10 s)',
    ]);
  });

  it('counts each message on its own', () => {
    warnings.warn('load failed');
    warnings.warn('commit failed');
    warnings.warn('load failed');
    warnings.warn('commit failed');
    warnings.warn('commit failed');
    jest.advanceTimersByTime(REPEAT_WINDOW_MS);
    expect(written).toEqual([
      'load failed',
      'commit failed',
      'load failed (1 more like it within 10 s)',
      'commit failed (2 more like it within 10 s)',
    ]);
  });

  it('flush() writes the counts of open windows at once and opens new ones after', () => {
    warnings.warn('a');
    warnings.warn('a');
    warnings.flush();
    expect(written).toEqual(['a', 'a (1 more like it within 10 s)']);
    expect(jest.getTimerCount()).toBe(0);
    warnings.warn('a');
    expect(written).toHaveLength(3);
  });

  it('writes every message past the first hundred different ones in a window: no unbounded count', () => {
    // Keys of letters only: messages that differ in their numbers alone count as one.
    const key = (i: number) => String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26));
    for (let i = 0; i < 150; i++) warnings.warn(`corrupt data under key ${key(i)}`);
    for (let i = 0; i < 150; i++) warnings.warn(`corrupt data under key ${key(i)}`);
    // The first hundred are counted; the other fifty are written each time.
    expect(written).toHaveLength(150 + 50);
    expect(jest.getTimerCount()).toBe(100);
  });
});
