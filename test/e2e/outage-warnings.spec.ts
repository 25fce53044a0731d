import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { StorageController } from '../support/controllers/storage-controller.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';
import { switchableCache } from '../support/stores/switchable-cache.js';

/** How many failures the warnings stand for: a line each, plus the repeats each count gives. */
function failuresIn(warnings: string[]): number {
  return warnings.reduce((sum, line) => {
    const repeats = / \((\d+) more like it within 10 s\)$/.exec(line);
    return sum + (repeats ? Number(repeats[1]) : 1);
  }, 0);
}

describe.each(ADAPTERS)('warnings during a store outage (%s)', (adapter) => {
  let t: TestApp;
  let warnings: string[];
  const { cache, state } = switchableCache();

  beforeEach(async () => {
    state.down = false;
    t = await createTestApp(adapter, { store: cache, maxSize: 180 }, [StorageController]);
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(async () => {
    await t.close();
    jest.restoreAllMocks();
  });

  it('writes each failure once, then counts its repeats, and writes the count when the app stops', async () => {
    const sid = sidOf(await t.http().get('/put/before').expect(200))!;
    state.down = true;
    for (let i = 0; i < 12; i++) {
      await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(503);
    }
    for (let i = 0; i < 5; i++) await t.http().get('/put/new-visitor').expect(503);

    const failures = warnings.filter((w) => /unavailable/i.test(w));
    // One line per different failure so far, not one per request.
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(2);
    expect(new Set(failures).size).toBe(failures.length);

    await t.close();
    const all = warnings.filter((w) => /unavailable/i.test(w));
    expect(all.some((w) => / more like it within 10 s\)$/.test(w))).toBe(true);
    expect(failuresIn(all)).toBe(17);
  });

  it('still writes a different warning at once', async () => {
    const sid = sidOf(await t.http().get('/put/before').expect(200))!;
    state.down = true;
    await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(503);
    await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(503);
    state.down = false;
    await t
      .http()
      .get(`/put/${'x'.repeat(99)}`)
      .set('Cookie', `sid=${sid}`)
      .expect(413);
    expect(warnings).toEqual([
      expect.stringMatching(/^Session store unavailable/),
      expect.stringMatching(/too large|maxSize|exceed/i),
    ]);
  });
});
