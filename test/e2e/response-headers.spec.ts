import { Controller, Get, Header, Logger, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { jest } from '@jest/globals';
import { Session, SessionManager, type SessionModuleOptions } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

@Controller()
class HeadersController {
  @Get('write')
  async write(@Session() session: SessionManager, @Query('v') v = '1') {
    await session.newSegment('S').set('v', Number(v));
    return { ok: true };
  }

  @Get('read')
  async read(@Session() session: SessionManager) {
    return { v: (await session.newSegment('S').get('v')) ?? null };
  }

  @Get('public-read')
  @Header('Cache-Control', 'public, max-age=60')
  async publicRead(@Session() session: SessionManager) {
    return { v: (await session.newSegment('S').get('v')) ?? null };
  }

  @Get('untouched')
  @Header('Cache-Control', 'public, max-age=60')
  untouched() {
    return { ok: true };
  }

  @Get('destroy')
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }

  @Get('stream')
  async stream(@Session() session: SessionManager) {
    await session.newSegment('S').set('streamed', true);
    return new StreamableFile(Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]));
  }
}

describe.each(ADAPTERS)('response headers and no-op writes (%s)', (adapter) => {
  let t: TestApp;
  let calls: ReturnType<typeof countingCache>['calls'];
  const open = async (options: Omit<SessionModuleOptions, 'store'> = {}) => {
    const counting = countingCache();
    calls = counting.calls;
    t = await createTestApp(adapter, { ...options, store: counting.cache }, [HeadersController]);
  };
  afterEach(async () => {
    await t?.close();
  });

  async function newSession(): Promise<string> {
    const sid = sidOf(await t.http().get('/write').expect(200))!;
    calls.reset();
    return sid;
  }

  it('a response that carries the session cookie is private, no-store', async () => {
    await open();
    const res = await t.http().get('/write').expect(200);
    expect(setCookieFor(res)).toBeDefined();
    expect(res.headers['cache-control']).toBe('private, no-store');
  });

  it('a response whose handler read the session is private, replacing public', async () => {
    await open();
    const sid = await newSession();
    const read = await t.http().get('/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.headers['cache-control']).toBe('private');
    const publicRead = await t.http().get('/public-read').set('Cookie', `sid=${sid}`).expect(200);
    expect(publicRead.headers['cache-control']).toBe('private, max-age=60');
  });

  it('a route that does not use the session keeps its own Cache-Control', async () => {
    await open();
    const sid = await newSession();
    const res = await t.http().get('/untouched').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
  });

  it('cacheControl: false leaves Cache-Control alone', async () => {
    await open({ cacheControl: false });
    const res = await t.http().get('/write').expect(200);
    expect(res.headers['cache-control']).toBeUndefined();
    const sid = sidOf(res)!;
    const read = await t.http().get('/public-read').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.headers['cache-control']).toBe('public, max-age=60');
  });

  it('setting the value already stored writes nothing and sends no cookie', async () => {
    await open();
    const sid = await newSession();
    const res = await t.http().get('/write').set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.set).toBe(0);
    expect(setCookieFor(res)).toBeUndefined();
    await t.http().get('/write').query({ v: '2' }).set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.set).toBe(1);
  });

  it('destroy() without a session makes no store call and sends no cookie', async () => {
    await open();
    const res = await t.http().get('/destroy').expect(200);
    expect(calls.total()).toBe(0);
    expect(setCookieFor(res)).toBeUndefined();
  });

  it('a returned StreamableFile keeps the session write, with its cookie', async () => {
    await open();
    const res = await t.http().get('/stream').expect(200);
    expect(Buffer.from(res.body as Buffer).toString()).toBe('chunk-1 chunk-2');
    const sid = sidOf(res)!;
    expect(sid).toBeDefined();
    const check = await t.http().get('/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(check.body).toEqual({ v: null });
    expect(calls.set).toBe(1);
  });

  it('warns once when a proxy says HTTPS but the app sees HTTP, so the cookie is not Secure', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await open();
      for (let i = 0; i < 3; i++) {
        const res = await t.http().get('/write').set('X-Forwarded-Proto', 'https').expect(200);
        expect(setCookieFor(res)).not.toMatch(/Secure/i);
      }
      const warnings = warn.mock.calls.filter(([m]) => String(m).includes('X-Forwarded-Proto'));
      expect(warnings).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });
});
