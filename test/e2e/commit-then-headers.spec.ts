import { Controller, Get, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Session, SessionManager } from '../../src/index.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';
import { rawResponseOf } from '../support/http/raw-response.js';

/** Replaces the response's cookie list and its caching, as an export or download route does. */
function setOwnHeaders(res: ServerResponse): void {
  res.setHeader('Set-Cookie', 'export_started=1; Path=/');
  res.setHeader('Cache-Control', 'public, max-age=600');
}

/** Handlers that commit (as before streaming), then set headers of their own. */
@Controller('after-commit')
class AfterCommitController {
  @Get('raw')
  async raw(@Session() session: SessionManager, @Res() res: unknown): Promise<void> {
    await session.newSegment('App\\Export').set('started', true);
    await session.commit();
    const raw = rawResponseOf(res);
    setOwnHeaders(raw);
    raw.end('exported');
  }

  @Get('returned')
  async returned(
    @Session() session: SessionManager,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<string> {
    await session.regenerateId();
    await session.newSegment('App\\Export').set('started', true);
    await session.commit();
    setOwnHeaders(rawResponseOf(res));
    return 'exported';
  }

  @Get('cleared')
  async cleared(@Session() session: SessionManager, @Res() res: unknown): Promise<void> {
    await session.newSegment('App\\Export').set('started', true);
    await session.commit();
    const raw = rawResponseOf(res);
    raw.setHeader('Set-Cookie', 'sid=; Path=/; Max-Age=0');
    raw.end('signed out');
  }

  @Get('read')
  async read(@Session() session: SessionManager) {
    return { started: (await session.newSegment('App\\Export').get('started')) ?? null };
  }
}

describe.each(ADAPTERS)('headers set after a commit (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, {}, [AfterCommitController]);
  });
  afterAll(() => t.close());

  it.each(['raw', 'returned'])(
    '%s: a Set-Cookie list set after the commit keeps the session cookie, and the response stays uncached',
    async (route) => {
      const res = await t.http().get(`/after-commit/${route}`).expect(200);
      expect(res.headers['set-cookie']).toContain('export_started=1; Path=/');
      const sid = sidOf(res);
      expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.headers['cache-control']).toBe('private, no-store');
      const read = await t.http().get('/after-commit/read').set('Cookie', `sid=${sid}`);
      expect(read.body).toEqual({ started: true });
    },
  );

  it('a cookie of the session name that the handler set after the commit is its own word', async () => {
    const res = await t.http().get('/after-commit/cleared').expect(200);
    expect(res.headers['set-cookie']).toEqual(['sid=; Path=/; Max-Age=0']);
    expect(res.headers['cache-control']).toBe('private, no-store');
  });
});
