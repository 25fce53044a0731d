import { Controller, Get, Logger, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { jest } from '@jest/globals';
import { Session, SessionManager, type SessionModuleOptions } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { createTestApp, setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

const SEG = 'App\\WriteHeadCookies';

/** Express's response as @Res() gives it (@types/express is not installed). */
type Response = ServerResponse & { cookie(name: string, value: string): Response };

@Controller('whc')
class WriteHeadCookieController {
  @Get('object')
  async object(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'object');
    res.writeHead(200, {
      'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'],
      'content-type': 'text/plain',
    });
    res.end('object');
  }

  @Get('raw')
  async raw(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'raw');
    res.writeHead(200, [
      'Set-Cookie',
      'a=1; Path=/',
      'content-type',
      'text/plain',
      'Set-Cookie',
      'b=2; Path=/',
    ]);
    res.end('raw');
  }

  @Get('status-message')
  async statusMessage(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'status-message');
    res.writeHead(201, 'Made', { 'set-cookie': 'a=1; Path=/', 'content-type': 'text/plain' });
    res.end('made');
  }

  @Get('login')
  async login(@Session() session: SessionManager, @Res() res: Response) {
    await session.regenerateId();
    await session.newSegment(SEG).set('step', 'logged in');
    res.writeHead(303, { Location: '/whc/read', 'Set-Cookie': 'flash=hi; Path=/' });
    res.end();
  }

  @Get('logout')
  async logout(@Session() session: SessionManager, @Res() res: Response) {
    await session.destroy();
    res.writeHead(303, { Location: '/whc/read', 'Set-Cookie': 'flash=bye; Path=/' });
    res.end();
  }

  // The session's cookie is on the response before writeHead() adds the handler's.
  @Get('after-commit')
  async afterCommit(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'after commit');
    await session.commit();
    res.writeHead(200, { 'Set-Cookie': 'a=1; Path=/', 'content-type': 'text/plain' });
    res.end('after commit');
  }

  @Get('with-res-cookie')
  async withResCookie(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'with res.cookie');
    res.cookie('theme', 'dark');
    res.writeHead(200, { 'Set-Cookie': 'a=1; Path=/' });
    res.end();
  }

  @Get('public')
  async public(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'public');
    res.writeHead(200, { 'Cache-Control': 'public, max-age=60', 'content-type': 'text/plain' });
    res.end('public');
  }

  @Get('start')
  async start(@Session() session: SessionManager) {
    await session.newSegment(SEG).set('step', 'start');
    return { ok: true };
  }

  @Get('read')
  async read(@Session() session: SessionManager) {
    return { step: (await session.newSegment(SEG).get('step')) ?? null };
  }
}

/** The cookie names a response sets, in order. */
function cookieNames(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  const list: string[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw as string];
  return list.map((cookie) => cookie.split('=')[0]!);
}

// The memory store commits inside the held writeHead(); the counting cache through a promise.
const STORES: Array<{ name: string; options: () => SessionModuleOptions }> = [
  { name: 'memory store', options: () => ({}) },
  { name: 'asynchronous store', options: () => ({ store: countingCache().cache }) },
];

describe.each(STORES)('Set-Cookie given to writeHead() on Express ($name)', ({ options }) => {
  let t: TestApp;
  let warnings: string[];

  beforeAll(async () => {
    t = await createTestApp('express', options(), [WriteHeadCookieController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const read = async (sid: string) =>
    (await t.http().get('/whc/read').set('Cookie', `sid=${sid}`).expect(200)).body.step;

  it.each([
    { path: 'object', status: 200, text: 'object', step: 'object' },
    { path: 'raw', status: 200, text: 'raw', step: 'raw' },
    { path: 'after-commit', status: 200, text: 'after commit', step: 'after commit' },
  ])(
    '$path: sends the handler’s cookies and the session’s',
    async ({ path, status, text, step }) => {
      const res = await t.http().get(`/whc/${path}`).expect(status);
      expect(res.text).toBe(text);
      expect(res.headers['content-type']).toBe('text/plain');
      expect(cookieNames(res).sort()).toEqual(
        path === 'after-commit' ? ['a', 'sid'] : ['a', 'b', 'sid'],
      );
      expect(await read(sidOf(res)!)).toBe(step);
      expect(warnings).toEqual([]);
    },
  );

  it('writeHead(status, statusMessage, headers): keeps the message and both cookies', async () => {
    const res = await t.http().get('/whc/status-message').expect(201);
    // supertest's typings leave out the Node response it read.
    expect((res as unknown as { res: { statusMessage: string } }).res.statusMessage).toBe('Made');
    expect(res.text).toBe('made');
    expect(cookieNames(res).sort()).toEqual(['a', 'sid']);
    expect(await read(sidOf(res)!)).toBe('status-message');
  });

  it('adds its cookies to those res.cookie() set before', async () => {
    const res = await t.http().get('/whc/with-res-cookie').expect(200);
    expect(cookieNames(res).sort()).toEqual(['a', 'sid', 'theme']);
  });

  it('a login answered with writeHead(): the new id reaches the browser, the old one is dead', async () => {
    const sid = sidOf(await t.http().get('/whc/start').expect(200))!;
    const res = await t.http().get('/whc/login').set('Cookie', `sid=${sid}`).expect(303);
    expect(res.headers.location).toBe('/whc/read');
    expect(cookieNames(res).sort()).toEqual(['flash', 'sid']);
    const renewed = sidOf(res)!;
    expect(renewed).not.toBe(sid);
    expect(await read(renewed)).toBe('logged in');
    expect(await read(sid)).toBeNull();
  });

  it('a logout answered with writeHead(): the session cookie is expired', async () => {
    const sid = sidOf(await t.http().get('/whc/start').expect(200))!;
    const res = await t.http().get('/whc/logout').set('Cookie', `sid=${sid}`).expect(303);
    expect(cookieNames(res).sort()).toEqual(['flash', 'sid']);
    expect(setCookieFor(res)).toMatch(/^sid=;/);
    expect(await read(sid)).toBeNull();
  });

  it('a Cache-Control: public given to writeHead() is made private, as one set before', async () => {
    const res = await t.http().get('/whc/public').expect(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(sidOf(res)).toBeDefined();
  });
});

describe('Set-Cookie given to writeHead() on Express, store failing', () => {
  const { cache, state } = switchableCache();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('express', { store: cache }, [WriteHeadCookieController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    state.writesDown = false;
    jest.restoreAllMocks();
  });

  it('answers 503 without the handler’s Location or a session cookie', async () => {
    state.writesDown = true;
    const res = await t.http().get('/whc/login').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(res.headers.location).toBeUndefined();
    expect(setCookieFor(res)).toBeUndefined();
  });
});
