import { Controller, Get, Post, Req, Scope } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Segment, Session, SessionManager, SkipCsrf } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { cookieAttributes, forgedSessionId, peekSession } from '../support/stores/core-store.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

type Prefs = { theme: string; big: string };

@Controller()
class LazyController {
  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @SkipCsrf()
  @Post('untouched')
  untouchedPost() {
    return { ok: true };
  }

  @Post('guarded')
  guarded() {
    return { ok: true };
  }

  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Get('segments-only')
  segmentsOnly(@Session() session: SessionManager, @Segment('App\\Prefs') prefs: Segment<Prefs>) {
    session.newSegment('App\\Other');
    return { name: prefs.name, resumable: session.isResumable(), started: session.isStarted() };
  }

  @Get('read')
  async read(@Segment('App\\Prefs') prefs: Segment<Prefs>) {
    return {
      theme: (await prefs.get('theme')) ?? null,
      withAlt: await prefs.get('theme', 'light'),
      flash: await prefs.hasFlash('notice'),
      all: await prefs.getAll(),
    };
  }

  @Get('write')
  async write(@Segment('App\\Prefs') prefs: Segment<Prefs>) {
    await prefs.set('theme', 'dark');
    return { ok: true };
  }

  @Get('write-too-large')
  async writeTooLarge(@Segment('App\\Prefs') prefs: Segment<Prefs>) {
    try {
      await prefs.set('big', 'x'.repeat(4096));
    } catch (error) {
      return { refused: (error as Error).name };
    }
    return { refused: null };
  }

  @Get('remove-and-clear')
  async removeAndClear(@Segment('App\\Prefs') prefs: Segment<Prefs>) {
    await prefs.remove('theme');
    await prefs.clear();
    await prefs.clearFlash();
    await prefs.keepFlash();
    return { ok: true };
  }
}

@Controller({ path: 'scoped', scope: Scope.REQUEST })
class RequestScopedController {
  constructor(private readonly session: SessionManager) {}

  @Get('same')
  async same(@Session() fromDecorator: SessionManager) {
    await this.session.newSegment('App\\Prefs').set('theme', 'scoped');
    return {
      same: fromDecorator === this.session,
      seen: await fromDecorator.newSegment<Prefs>('App\\Prefs').get('theme'),
    };
  }

  @Get('untouched')
  untouched() {
    this.session.newSegment('App\\Prefs');
    return { ok: true };
  }
}

/** The library's own symbol-keyed properties on `target`. */
function sessionSlotsOn(target: object): string[] {
  return Object.getOwnPropertySymbols(target)
    .map((symbol) => symbol.description ?? '')
    .filter((name) => name.startsWith('nest-aura-session'));
}

@Controller()
class ShapeController {
  @Get('write-then-look')
  async writeThenLook(@Req() req: { res: object }, @Segment('App\\Prefs') prefs: Segment<Prefs>) {
    await prefs.set('theme', 'dark');
    return { request: sessionSlotsOn(req), response: sessionSlotsOn(req.res) };
  }

  @Get('write-then-keep')
  async writeThenKeep(@Req() req: object, @Session() session: SessionManager) {
    await session.newSegment<Prefs>('App\\Prefs').set('theme', 'dark');
    kept = { request: req, session: new WeakRef(session) };
    return { ok: true };
  }
}

// What a request kept alive past its response (by the framework, a closure, a log) holds on to.
let kept: { request: object; session: WeakRef<SessionManager> } | undefined;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

// Express swaps the prototype of every request and response, which gives each a hidden class of
// its own: a property added to one makes V8 build yet another, on every request.
describe('the shape of Express requests and responses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('express', {}, [ShapeController]);
  });
  afterAll(() => t.close());

  it('adds no property to the request or the response of a handler that writes', async () => {
    const res = await t.http().get('/write-then-look').expect(200);
    expect(res.body).toEqual({ request: [], response: [] });
    expect(sidOf(res)).toHaveLength(43);
  });

  // Express requests often outlive a young-generation collection: whatever they keep reachable
  // is copied and promoted with them, a cost every request would pay.
  it('lets the session go once the response has ended, though the request lives on', async () => {
    const res = await t.http().get('/write-then-keep').expect(200);
    expect(sidOf(res)).toHaveLength(43);
    // A WeakRef holds its target until the job that read it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(kept?.request).toBeDefined();
    expect(kept?.session.deref()).toBeUndefined();
  });
});

describe.each(ADAPTERS)('lazy start (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls, keyv } = countingCache();
  let sid: string;

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache, maxSize: 1024 }, [
      LazyController,
      RequestScopedController,
    ]);
    const res = await t.http().get('/write').expect(200);
    sid = sidOf(res)!;
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  it('makes no store call and sends no cookie when the handler never touches the session', async () => {
    const res = await t.http().get('/untouched').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('makes no store call on an untouched @SkipCsrf POST that carries a session cookie', async () => {
    const res = await t.http().post('/untouched').set('Cookie', `sid=${sid}`).expect(201);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('reads the session exactly once for an untouched POST the CSRF guard checks', async () => {
    const { body } = await t.http().get('/token').set('Cookie', `sid=${sid}`).expect(200);
    calls.reset();
    const res = await t
      .http()
      .post('/guarded')
      .set('Cookie', `sid=${sid}`)
      .set('x-csrf-token', body.token)
      .expect(201);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.get).toBe(1);
    expect(calls.set).toBe(0);
    expect(calls.delete).toBe(0);
  });

  it('touches nothing when the handler only gets segments from @Segment and newSegment', async () => {
    const res = await t.http().get('/segments-only').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.body).toEqual({ name: 'App\\Prefs', resumable: true, started: false });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('touches nothing when a request-scoped controller injects the manager and calls newSegment', async () => {
    const res = await t.http().get('/scoped/untouched').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('returns the default on a read without a session, with no store call and no cookie', async () => {
    const res = await t.http().get('/read').expect(200);
    expect(res.body).toEqual({ theme: null, withAlt: 'light', flash: false, all: {} });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('reads an unknown well-formed id with one get, and neither writes nor sends a cookie', async () => {
    const res = await t
      .http()
      .get('/read')
      .set('Cookie', `sid=${forgedSessionId('lazy')}`)
      .expect(200);
    expect(res.body).toEqual({ theme: null, withAlt: 'light', flash: false, all: {} });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.get).toBe(1);
    expect(calls.set).toBe(0);
    expect(calls.delete).toBe(0);
  });

  it('loads an existing session with exactly one store get however many reads the handler makes', async () => {
    const res = await t.http().get('/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.body).toEqual({
      theme: 'dark',
      withAlt: 'dark',
      flash: false,
      all: { theme: 'dark' },
    });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.get).toBe(1);
    expect(calls.set).toBe(0);
    expect(calls.delete).toBe(0);
  });

  it('creates a session on the first write and sends a well-formed session cookie', async () => {
    const res = await t.http().get('/write').expect(200);
    expect(calls.get).toBe(0);
    expect(calls.set).toBe(1);
    const header = setCookieFor(res)!;
    expect(header).toBeDefined();
    const id = sidOf(res)!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toBe(sid);
    const attributes = cookieAttributes(header);
    expect(attributes.get('httponly')).toBe(true);
    expect(attributes.get('samesite')?.toString().toLowerCase()).toBe('lax');
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('secure')).toBe(false);
    expect(attributes.has('max-age')).toBe(false);
    expect(attributes.has('expires')).toBe(false);
    expect((await peekSession(keyv, id))?.segments['App\\Prefs']?.values).toEqual({
      theme: 'dark',
    });
  });

  it('sends no cookie for a new session when the only write was refused', async () => {
    const res = await t.http().get('/write-too-large').expect(200);
    expect(res.body).toEqual({ refused: 'SessionTooLargeError' });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.set).toBe(0);
  });

  it('sends no cookie when remove, clear, clearFlash and keepFlash run without a session', async () => {
    const res = await t.http().get('/remove-and-clear').expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('hands a request-scoped controller the same manager object as @Session()', async () => {
    const res = await t.http().get('/scoped/same').expect(200);
    expect(res.body).toEqual({ same: true, seen: 'scoped' });
    const id = sidOf(res)!;
    expect(id).toHaveLength(43);
    const next = await t.http().get('/read').set('Cookie', `sid=${id}`).expect(200);
    expect(next.body.theme).toBe('scoped');
  });
});
