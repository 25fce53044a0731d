import { Controller, Get, Query } from '@nestjs/common';
import { Segment, Session, SessionManager, type CookieParams } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { cookieAttributes, forgedSessionId, peekSession } from '../support/stores/core-store.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

type Values = { n: number };

@Controller()
class CookieController {
  @Get('read')
  async read(@Segment('App\\Cookie') seg: Segment<Values>, @Session() session: SessionManager) {
    return { n: (await seg.get('n')) ?? null, resumable: session.isResumable() };
  }

  @Get('write')
  async write(@Segment('App\\Cookie') seg: Segment<Values>, @Session() session: SessionManager) {
    await seg.set('n', ((await seg.get('n')) ?? 0) + 1);
    return { id: session.getId(), name: session.getName() };
  }
}

@Controller('app')
class ScopedCookieController {
  @Get('write')
  async write(@Segment('App\\Cookie') seg: Segment<Values>) {
    await seg.set('n', 1);
    return { ok: true };
  }

  @Get('logout')
  async logout(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }
}

/** Cookie attributes an app might pass to `setCookieParams`, keyed by a test's `case`. */
const SET_COOKIE_PARAMS: Record<string, Partial<CookieParams>> = {
  'path with ;': { path: '/app; Domain=evil.example' },
  'path with CR/LF': { path: '/app\r\nSet-Cookie: x=1' },
  'path with NUL': { path: '/app\u0000' },
  'domain with CR/LF': { domain: 'example.com\r\nX-Injected: 1' },
  'domain with ;': { domain: 'example.com; Secure' },
  'maxAge under 1 s': { maxAge: 500 },
  'huge maxAge': { maxAge: 1e300 },
  'maxAge past 400 days': { maxAge: 401 * 86_400_000 },
};

@Controller('params')
class CookieParamsController {
  /** Writes a value, then changes the cookie attributes as a "remember me" login would. */
  @Get('set')
  async set(
    @Query('case') name: string,
    @Segment('App\\Cookie') seg: Segment<Values>,
    @Session() session: SessionManager,
  ) {
    await seg.set('n', 1);
    session.setCookieParams(SET_COOKIE_PARAMS[name]!);
    return { ok: true };
  }

  /** Same, but answers the error instead of letting it through. */
  @Get('caught')
  async caught(
    @Query('case') name: string,
    @Segment('App\\Cookie') seg: Segment<Values>,
    @Session() session: SessionManager,
  ) {
    await seg.set('n', 1);
    try {
      session.setCookieParams(SET_COOKIE_PARAMS[name]!);
      return { refused: false };
    } catch (error) {
      return { refused: true, name: (error as Error).name, message: (error as Error).message };
    }
  }
}

const VALID = forgedSessionId('a valid shape');

/** Cookie headers whose session cookie must count as absent. */
const MALFORMED: [string, string][] = [
  ['one character short', `sid=${VALID.slice(1)}`],
  ['one character long', `sid=${VALID}A`],
  ['standard base64 characters', `sid=${VALID.slice(2)}+/`],
  ['a dot', `sid=${VALID.slice(1)}.`],
  ['percent-encoded junk', 'sid=%E0%A4%A%ZZ%%%00'],
  ['percent-encoded control characters', `sid=%00%0A${VALID.slice(2)}`],
  ['percent-encoded separators', `sid=${VALID.slice(3)}%3B%20`],
  ['two sid cookies', `sid=${VALID}; sid=${forgedSessionId('other')}`],
  ['the same sid twice', `sid=${VALID}; sid=${VALID}`],
  ['an empty value', 'sid='],
  ['an empty value among other cookies', 'theme=dark; sid=; lang=en'],
  ['a name without a value', 'sid'],
  ['a huge value (15 KB)', `sid=${'A'.repeat(15_000)}`],
  ['a huge header of many cookies', Array.from({ length: 1500 }, (_, i) => `c${i}=1`).join('; ')],
  ['a similar name', `xsid=${VALID}; sid2=${VALID}`],
];

describe.each(ADAPTERS)('session cookie parsing (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [CookieController]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  it.each(MALFORMED)(
    'treats %s as no session on a read, without a store call',
    async (_, header) => {
      const res = await t.http().get('/read').set('Cookie', header);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ n: null, resumable: false });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(calls.total()).toBe(0);
    },
  );

  it.each(MALFORMED)('starts a fresh session for %s on a write', async (_, header) => {
    const res = await t.http().get('/write').set('Cookie', header);
    expect(res.status).toBe(200);
    const id = sidOf(res)!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(header).not.toContain(id);
    expect(calls.get).toBe(0);
    expect(calls.set).toBe(1);
  });

  it('resumes a well-formed session cookie among other cookies', async () => {
    const sid = sidOf(await t.http().get('/write').expect(200))!;
    calls.reset();
    const res = await t
      .http()
      .get('/read')
      .set('Cookie', `theme=dark; sid=${sid}; lang=en`)
      .expect(200);
    expect(res.body).toEqual({ n: 1, resumable: true });
    expect(calls.get).toBe(1);
  });
});

describe.each(ADAPTERS)('custom cookie name (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache, cookie: { name: 'app_session' } }, [
      CookieController,
    ]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  it('sends, reads and reports the configured name, and ignores a sid cookie', async () => {
    const first = await t.http().get('/write').expect(200);
    expect(first.body.name).toBe('app_session');
    expect(setCookieFor(first)).toBeUndefined();
    const id = sidOf(first, 'app_session')!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const resumed = await t.http().get('/write').set('Cookie', `app_session=${id}`).expect(200);
    expect(resumed.body.id).toBe(id);
    expect((await t.http().get('/read').set('Cookie', `app_session=${id}`)).body.n).toBe(2);

    calls.reset();
    const wrongName = await t.http().get('/read').set('Cookie', `sid=${id}`).expect(200);
    expect(wrongName.body).toEqual({ n: null, resumable: false });
    expect(calls.total()).toBe(0);
  });
});

describe.each(ADAPTERS)('configured cookie attributes (%s)', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(
      adapter,
      {
        cookie: {
          path: '/app',
          domain: 'example.com',
          sameSite: 'strict',
          secure: true,
          httpOnly: false,
          maxAge: 90_000,
          partitioned: true,
        },
      },
      [ScopedCookieController],
    );
  });
  afterAll(() => t.close());

  it('puts every configured attribute on the session cookie', async () => {
    const res = await t.http().get('/app/write').expect(200);
    const attributes = cookieAttributes(setCookieFor(res)!);
    expect(attributes.get('path')).toBe('/app');
    expect(attributes.get('domain')).toBe('example.com');
    expect(attributes.get('samesite')?.toString().toLowerCase()).toBe('strict');
    expect(attributes.get('secure')).toBe(true);
    expect(attributes.has('httponly')).toBe(false);
    expect(attributes.get('max-age')).toBe('90');
    expect(attributes.get('partitioned')).toBe(true);
  });

  it('expires the cookie with the same path and domain so the browser drops it', async () => {
    const first = await t.http().get('/app/write').expect(200);
    const res = await t
      .http()
      .get('/app/logout')
      .set('Cookie', `sid=${sidOf(first)!}`)
      .expect(200);
    const header = setCookieFor(res)!;
    expect(header).toMatch(/^sid=;/);
    const attributes = cookieAttributes(header);
    expect(attributes.get('max-age')).toBe('0');
    expect(attributes.get('path')).toBe('/app');
    expect(attributes.get('domain')).toBe('example.com');
  });
});

describe.each(ADAPTERS)('setCookieParams with unusable attributes (%s)', (adapter) => {
  let t: TestApp;
  const { cache, keyv } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [CookieParamsController]);
  });
  afterAll(() => t.close());

  it.each([
    ['path with ;', 'path'],
    ['path with CR/LF', 'path'],
    ['path with NUL', 'path'],
    ['domain with CR/LF', 'domain'],
    ['domain with ;', 'domain'],
    ['maxAge under 1 s', 'maxAge'],
  ])('refuses a %s at the call, naming the attribute', async (name, attribute) => {
    const res = await t.http().get('/params/caught').query({ case: name }).expect(200);
    expect(res.body.refused).toBe(true);
    expect(res.body.name).toBe('SessionOptionsError');
    expect(res.body.message).toContain(`"setCookieParams.${attribute}"`);
    // The message ends up in logs: no raw attribute value, so no forged log lines.
    expect(res.body.message).not.toMatch(/[\r\n\u0000]/);
    const { path, domain } = SET_COOKIE_PARAMS[name]!;
    for (const raw of [path, domain]) if (raw) expect(res.body.message).not.toContain(raw);
    // The session keeps its valid attributes: it is stored and its cookie is sent.
    const sid = sidOf(res)!;
    expect(cookieAttributes(setCookieFor(res)!).get('path')).toBe('/');
    expect((await peekSession(keyv, sid))?.segments['App\\Cookie']?.values).toEqual({ n: 1 });
  });

  it('answers an error for an uncaught refusal, and never stores a session without its cookie', async () => {
    const res = await t.http().get('/params/set').query({ case: 'path with ;' });
    expect(res.status).toBe(500);
    const sid = sidOf(res);
    expect(sid).toBeDefined();
    expect(setCookieFor(res)).not.toMatch(/evil/);
    expect((await peekSession(keyv, sid!))?.segments['App\\Cookie']?.values).toEqual({ n: 1 });
  });

  it.each([['huge maxAge'], ['maxAge past 400 days']])(
    'sends a %s as Max-Age of 400 days',
    async (name) => {
      const res = await t.http().get('/params/caught').query({ case: name }).expect(200);
      expect(res.body).toEqual({ refused: false });
      expect(cookieAttributes(setCookieFor(res)!).get('max-age')).toBe(String(400 * 86_400));
    },
  );
});
