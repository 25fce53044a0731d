import { Controller, Get, Logger, UseFilters } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Segment, SessionExceptionFilter, SessionHealthIndicator } from '../../src/index.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/apps/test-app.js';

/** A route whose filter is made by hand, as `@UseFilters(new …)` is commonly written. */
@Controller('by-hand')
class HandMadeFilterController {
  @Get('read')
  @UseFilters(new SessionExceptionFilter())
  async read(@Segment('App\\ByHand') seg: Segment<{ n: number }>) {
    return { n: (await seg.get('n')) ?? null };
  }
}

describe.each(ADAPTERS)('providers made with new (%s)', (adapter) => {
  const { cache, state } = switchableCache();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [HandMadeFilterController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    state.down = false;
    jest.restoreAllMocks();
  });

  it('new SessionExceptionFilter() answers a store failure with 503, as the global one does', async () => {
    state.down = true;
    const res = await t
      .http()
      .get('/by-hand/read')
      .set('Cookie', `sid=${'a'.repeat(43)}`);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ statusCode: 503, reason: 'session_store_unavailable' });
  });
});

describe('SessionHealthIndicator made with new', () => {
  it('refuses to probe with an error that says to inject it', async () => {
    await expect(new SessionHealthIndicator().check()).rejects.toThrow(
      'SessionHealthIndicator made with new has no store to probe: inject it',
    );
  });
});
