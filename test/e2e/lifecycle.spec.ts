import { Controller, Get, Post, Query } from '@nestjs/common';
import { Session, SessionManager, type CookieParams } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { cookieAttributes, forgedSessionId, peekSession } from '../support/stores/core-store.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

const DATA = 'App\\Data';
type Data = { a: string; b: string };

function data(session: SessionManager) {
  return session.newSegment<Data>(DATA);
}

@Controller('life')
class LifecycleController {
  @Get('state')
  async state(@Session() session: SessionManager) {
    const before = { id: session.getId() ?? null, started: session.isStarted() };
    const resumable = session.isResumable();
    const resumed = await session.resume();
    return {
      before,
      resumable,
      resumed,
      started: session.isStarted(),
      id: session.getId() ?? null,
    };
  }

  @Get('start')
  async start(@Session() session: SessionManager) {
    const before = session.getId() ?? null;
    await session.start();
    return { before, id: session.getId(), started: session.isStarted() };
  }

  @Get('write')
  async write(@Session() session: SessionManager, @Query('a') a = 'A', @Query('b') b?: string) {
    await data(session).set('a', a);
    if (b !== undefined) await data(session).set('b', b);
    return { id: session.getId() };
  }

  @Get('read')
  async read(@Session() session: SessionManager) {
    return { all: await data(session).getAll(), id: session.getId() ?? null };
  }

  @Get('commit-then-change')
  async commitThenChange(@Session() session: SessionManager) {
    await data(session).set('a', 'before commit');
    await session.commit();
    await data(session).set('b', 'after commit');
    return { id: session.getId() };
  }

  @Get('clear')
  async clear(@Session() session: SessionManager) {
    const before = session.getId() ?? null;
    await session.clear();
    return {
      before,
      id: session.getId() ?? null,
      started: session.isStarted(),
      all: await data(session).getAll(),
    };
  }

  @Get('destroy')
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return {
      id: session.getId() ?? null,
      started: session.isStarted(),
      all: await data(session).getAll(),
    };
  }

  @Get('commit-then-destroy')
  async commitThenDestroy(@Session() session: SessionManager) {
    await data(session).set('a', 'committed');
    await session.commit();
    const committed = session.getId();
    await session.destroy();
    return { committed };
  }

  @Get('destroy-then-write')
  async destroyThenWrite(@Session() session: SessionManager) {
    await session.destroy();
    await data(session).set('a', 'fresh');
    return { id: session.getId() };
  }

  @Get('regenerate')
  async regenerate(@Session() session: SessionManager) {
    await data(session).get('a');
    const before = session.getId() ?? null;
    await session.regenerateId();
    return { before, id: session.getId(), all: await data(session).getAll() };
  }

  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Post('guarded')
  guarded() {
    return { ok: true };
  }

  @Get('name')
  name(@Session() session: SessionManager) {
    return { name: session.getName() };
  }

  @Get('cookie-params')
  cookieParams(@Session() session: SessionManager) {
    const params = session.getCookieParams();
    params.path = '/mutated';
    return { params: session.getCookieParams() };
  }

  @Get('remember-me')
  async rememberMe(@Session() session: SessionManager) {
    await session.resume();
    session.setCookieParams({ maxAge: 3_600_000 });
    return { params: session.getCookieParams() };
  }

  @Get('remember-me-first')
  async rememberMeFirst(@Session() session: SessionManager) {
    session.setCookieParams({ maxAge: 3_600_000 });
    return { all: await data(session).getAll() };
  }

  @Get('bad-cookie-params')
  badCookieParams(@Session() session: SessionManager) {
    try {
      session.setCookieParams({ sameSite: 'bogus' as CookieParams['sameSite'] });
    } catch (error) {
      return { error: (error as Error).message, params: session.getCookieParams() };
    }
    return { error: null };
  }
}

describe.each(ADAPTERS)('session lifecycle (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls, keyv } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [LifecycleController]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  async function newSession(query = ''): Promise<string> {
    const res = await t.http().get(`/life/write${query}`).expect(200);
    return sidOf(res)!;
  }

  function get(path: string, sid?: string) {
    const req = t.http().get(path);
    if (sid !== undefined) req.set('Cookie', `sid=${sid}`);
    return req.expect(200);
  }

  describe('start', () => {
    it('creates and stores a session even when nothing is written, and sends its cookie', async () => {
      const res = await get('/life/start');
      expect(res.body.before).toBeNull();
      expect(res.body.started).toBe(true);
      expect(res.body.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(sidOf(res)).toBe(res.body.id);
      expect(calls.set).toBe(1);
      expect(await peekSession(keyv, res.body.id)).toMatchObject({ v: 1, segments: {} });
      expect((await get('/life/state', res.body.id)).body.resumed).toBe(true);
    });

    it('never adopts a forged id: start creates a session with a fresh id', async () => {
      const forged = forgedSessionId('start');
      const res = await get('/life/start', forged);
      expect(res.body.id).not.toBe(forged);
      expect(sidOf(res)).toBe(res.body.id);
      expect(await peekSession(keyv, forged)).toBeUndefined();
    });

    it('resumes an existing session instead of creating another', async () => {
      const sid = await newSession();
      const res = await get('/life/start', sid);
      expect(res.body.id).toBe(sid);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await get('/life/read', sid)).body.all).toEqual({ a: 'A' });
    });
  });

  describe('resume, isResumable, isStarted, getId', () => {
    it('reports nothing to resume without a cookie, and makes no store call', async () => {
      const res = await get('/life/state');
      expect(res.body).toEqual({
        before: { id: null, started: false },
        resumable: false,
        resumed: false,
        started: false,
        id: null,
      });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(calls.total()).toBe(0);
    });

    it('reports an unknown well-formed id as resumable but not resumed', async () => {
      const res = await get('/life/state', forgedSessionId('lifecycle'));
      expect(res.body).toEqual({
        before: { id: null, started: false },
        resumable: true,
        resumed: false,
        started: false,
        id: null,
      });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('resumes a stored session, and only then reports it started with its id', async () => {
      const sid = await newSession();
      const res = await get('/life/state', sid);
      expect(res.body).toEqual({
        before: { id: null, started: false },
        resumable: true,
        resumed: true,
        started: true,
        id: sid,
      });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(calls.set).toBe(1);
      expect(calls.get).toBe(1);
    });
  });

  describe('commit', () => {
    it('saves an explicit commit and still saves the changes made after it', async () => {
      const res = await get('/life/commit-then-change');
      const sid = sidOf(res)!;
      expect(sid).toBe(res.body.id);
      expect(calls.set).toBe(2);
      expect((await get('/life/read', sid)).body.all).toEqual({
        a: 'before commit',
        b: 'after commit',
      });
    });
  });

  describe('clear', () => {
    it('empties the data but keeps the session active under the same id', async () => {
      const sid = await newSession('?b=B');
      const res = await get('/life/clear', sid);
      expect(res.body).toEqual({ before: null, id: sid, started: true, all: {} });
      const cookie = setCookieFor(res);
      expect(cookie === undefined || sidOf(res) === sid).toBe(true);
      expect(await peekSession(keyv, sid)).toMatchObject({ segments: {} });
      const after = await get('/life/state', sid);
      expect(after.body).toMatchObject({ resumed: true, id: sid });
      expect((await get('/life/read', sid)).body.all).toEqual({});
      const write = await get('/life/write?a=again', sid);
      expect(write.body.id).toBe(sid);
      expect((await get('/life/read', sid)).body.all).toEqual({ a: 'again' });
    });
  });

  it('keeps the CSRF secret through clear', async () => {
    const sid = await newSession();
    const { token } = (await get('/life/token', sid)).body;
    await get('/life/clear', sid);
    await t
      .http()
      .post('/life/guarded')
      .set('Cookie', `sid=${sid}`)
      .set('x-csrf-token', token)
      .expect(201);
  });

  describe('destroy', () => {
    it('deletes the stored session and expires the cookie', async () => {
      const sid = await newSession();
      expect(await peekSession(keyv, sid)).toBeDefined();
      calls.reset();
      const res = await get('/life/destroy', sid);
      expect(res.body).toEqual({ id: null, started: false, all: {} });
      expect(calls.delete).toBe(1);
      expect(await peekSession(keyv, sid)).toBeUndefined();
      const header = setCookieFor(res)!;
      expect(header).toMatch(/^sid=;/);
      const attributes = cookieAttributes(header);
      expect(attributes.get('max-age')).toBe('0');
      expect(attributes.get('path')).toBe('/');
      const after = await get('/life/state', sid);
      expect(after.body).toMatchObject({ resumable: true, resumed: false, id: null });
      expect((await get('/life/read', sid)).body.all).toEqual({});
    });

    it('takes back the cookie of a session committed and destroyed within one request', async () => {
      const res = await get('/life/commit-then-destroy');
      const committed = res.body.committed as string;
      expect(committed).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await peekSession(keyv, committed)).toBeUndefined();
      // The commit's cookie naming the new id is replaced, not joined, by the expiring one.
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/^sid=;/);
      expect(cookieAttributes(cookies[0]!).get('max-age')).toBe('0');
    });

    it('starts a new session with a new id when the handler writes after destroying', async () => {
      const sid = await newSession();
      const res = await get('/life/destroy-then-write', sid);
      const fresh = sidOf(res)!;
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(fresh).not.toBe(sid);
      expect(fresh).toBe(res.body.id);
      expect(cookieAttributes(setCookieFor(res)!).has('max-age')).toBe(false);
      expect((await get('/life/read', fresh)).body.all).toEqual({ a: 'fresh' });
      expect((await get('/life/read', sid)).body.all).toEqual({});
    });
  });

  describe('regenerateId', () => {
    it('moves the data to a new id sent in Set-Cookie, and the old id reads nothing', async () => {
      const sid = await newSession('?b=B');
      const res = await get('/life/regenerate', sid);
      const fresh = sidOf(res)!;
      expect(res.body.before).toBe(sid);
      expect(res.body.id).toBe(fresh);
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(fresh).not.toBe(sid);
      expect(res.body.all).toEqual({ a: 'A', b: 'B' });
      expect((await get('/life/read', fresh)).body.all).toEqual({ a: 'A', b: 'B' });
      expect((await get('/life/read', sid)).body.all).toEqual({});
      // Only a short-lived marker of the move stays under the old id: no session data.
      expect((await peekSession(keyv, sid))?.segments).toBeUndefined();
      expect((await get('/life/state', sid)).body.resumed).toBe(false);
    });

    it('starts a session with a fresh id when there is none', async () => {
      const res = await get('/life/regenerate');
      expect(res.body.before).toBeNull();
      expect(sidOf(res)).toBe(res.body.id);
      expect((await get('/life/state', res.body.id)).body.resumed).toBe(true);
    });
  });

  describe('name and cookie params', () => {
    it('reports the cookie name', async () => {
      expect((await get('/life/name')).body).toEqual({ name: 'sid' });
    });

    it('reports the default cookie params and hands out a copy', async () => {
      const res = await get('/life/cookie-params');
      expect(res.body.params).toEqual({
        path: '/',
        secure: 'auto',
        httpOnly: true,
        sameSite: 'lax',
      });
    });

    it('sends the cookie again with a maxAge set through setCookieParams', async () => {
      const sid = await newSession();
      const res = await get('/life/remember-me', sid);
      expect(res.body.params.maxAge).toBe(3_600_000);
      expect(sidOf(res)).toBe(sid);
      const attributes = cookieAttributes(setCookieFor(res)!);
      expect(attributes.get('max-age')).toBe('3600');
      expect(attributes.get('httponly')).toBe(true);
    });

    it('sends the cookie with a maxAge set before the session was loaded', async () => {
      const sid = await newSession();
      const res = await get('/life/remember-me-first', sid);
      expect(res.body.all).toEqual({ a: 'A' });
      expect(sidOf(res)).toBe(sid);
      expect(cookieAttributes(setCookieFor(res)!).get('max-age')).toBe('3600');
    });

    it('refuses invalid cookie params and keeps the previous ones', async () => {
      const res = await get('/life/bad-cookie-params');
      expect(res.body.error).toMatch(/sameSite/);
      expect(res.body.params.sameSite).toBe('lax');
    });
  });

  describe('unknown ids', () => {
    it('never adopts a forged well-formed id: a write gets a different id', async () => {
      const forged = forgedSessionId('fixation');
      const res = await get('/life/write', forged);
      const fresh = sidOf(res)!;
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(fresh).not.toBe(forged);
      expect(await peekSession(keyv, forged)).toBeUndefined();
      expect((await get('/life/read', fresh)).body.all).toEqual({ a: 'A' });
    });
  });
});
