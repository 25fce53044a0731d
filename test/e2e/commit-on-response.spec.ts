import { BadRequestException, Controller, Get, Redirect, Res, type Type } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Segment, Session, SessionManager } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import {
  ADAPTERS,
  cookiesOf,
  createTestApp,
  setCookieFor,
  sidOf,
  type AdapterName,
  type TestApp,
} from '../support/apps/test-app.js';

const SEG = 'App\\Commit';

/** Commits a write, then writes the response on Node's own `ServerResponse`. */
async function streamAfterCommit(session: SessionManager, res: ServerResponse): Promise<void> {
  await session.newSegment<Values>(SEG).set('step', 'streamed');
  await session.commit();
  res.setHeader('content-type', 'text/csv');
  res.write('id,name\n');
  res.end();
}

/** The parts of Express's response these handlers use (@types/express is not installed). */
interface Response {
  status(code: number): Response;
  json(body: unknown): void;
  redirect(status: number, url: string): void;
  cookie(name: string, value: string): Response;
  setHeader(name: string, value: string[]): Response;
}
type Values = { step: string; visits: number };

@Controller('cor')
class CommitController {
  @Get('read')
  async read(@Segment(SEG) seg: Segment<Values>) {
    return { step: (await seg.get('step')) ?? null, flash: await seg.getFlash('error', null) };
  }

  @Get('bad-request')
  async badRequest(@Segment(SEG) seg: Segment<Values>) {
    await seg.setFlash('error', 'Name is required');
    await seg.set('step', 'failed');
    throw new BadRequestException('Name is required');
  }

  @Get('redirect')
  @Redirect('/cor/read', 302)
  async redirect(@Segment(SEG) seg: Segment<Values>) {
    await seg.set('step', 'redirected');
  }

  @Get('dynamic-redirect')
  @Redirect()
  async dynamicRedirect(@Segment(SEG) seg: Segment<Values>) {
    await seg.set('step', 'dynamic');
    return { url: '/cor/read', statusCode: 303 };
  }

  @Get('login')
  @Redirect('/cor/read', 302)
  async login(@Session() session: SessionManager) {
    await session.regenerateId();
    await session.newSegment<Values>(SEG).set('step', 'logged in');
  }

  @Get('logout')
  @Redirect('/cor/read', 302)
  async logout(@Session() session: SessionManager) {
    await session.destroy();
  }

  @Get('nothing-changed')
  async nothingChanged(@Segment(SEG) seg: Segment<Values>) {
    await seg.get('step');
    await seg.getAll();
    await seg.hasFlash('error');
    await seg.getFlash('missing');
    await seg.remove('visits');
    await seg.clearFlash();
    await seg.setFlashNow('now', 'only here');
    return { ok: true };
  }
}

@Controller('cor/express')
class ExpressResponseController {
  @Get('passthrough-status')
  async passthroughStatus(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) res: Response,
  ) {
    await seg.set('step', 'passthrough');
    res.status(202);
    return { ok: true };
  }

  @Get('passthrough-redirect')
  async passthroughRedirect(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) res: Response,
  ) {
    await seg.set('step', 'passthrough redirect');
    res.redirect(302, '/cor/read');
  }

  // Nest answers the returned value too, while the redirect waits for the commit.
  @Get('passthrough-redirect-returning')
  async passthroughRedirectReturning(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) res: Response,
  ) {
    await seg.set('step', 'redirect and a value');
    res.redirect(302, '/cor/read');
    return { ignored: true };
  }

  @Get('answered-twice')
  async answeredTwice(@Segment(SEG) seg: Segment<Values>, @Res() res: Response) {
    await seg.set('step', 'answered twice');
    res.status(201).json({ first: true });
    try {
      res.status(200).json({ second: true });
    } catch {
      // Node refuses a second answer once the first one went out.
    }
  }

  /** Answers on Node's own response, then changes a header, as code after that answer might. */
  @Get('raw-answered-then-changed')
  async rawAnsweredThenChanged(@Segment(SEG) seg: Segment<Values>, @Res() res: ServerResponse) {
    await seg.set('step', 'raw answer');
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ first: true }));
    try {
      res.setHeader('x-after-answer', 'changed');
      res.removeHeader('content-type');
    } catch {
      // Node refuses a header change once the answer went out.
    }
  }

  @Get('manual')
  async manual(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment<Values>(SEG).set('step', 'manual');
    await session.commit();
    res.status(200).json({ sent: 'by hand' });
  }

  /** Commit, then answer through Node's own response, as a handler streaming a file does. */
  @Get('raw-after-commit')
  async rawAfterCommit(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await streamAfterCommit(session, res);
  }

  @Get('raw-after-login')
  async rawAfterLogin(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.regenerateId();
    await streamAfterCommit(session, res);
  }

  @Get('other-cookies')
  async otherCookies(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Set-Cookie', ['raw=1; Path=/']);
    res.cookie('theme', 'dark');
    await seg.set('step', 'with other cookies');
    return { ok: true };
  }

  @Get('other-cookies-after')
  async otherCookiesAfter(
    @Session() session: SessionManager,
    @Res({ passthrough: true }) res: Response,
  ) {
    await session.newSegment<Values>(SEG).set('step', 'committed first');
    await session.commit();
    res.cookie('theme', 'light');
    await session.newSegment<Values>(SEG).set('visits', 1);
    return { ok: true };
  }
}

@Controller('cor/fastify')
class FastifyResponseController {
  @Get('passthrough-status')
  async passthroughStatus(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await seg.set('step', 'passthrough');
    reply.status(202);
    return { ok: true };
  }

  @Get('passthrough-redirect')
  async passthroughRedirect(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await seg.set('step', 'passthrough redirect');
    reply.redirect('/cor/read', 302);
  }

  // Nest answers the returned value too, while the redirect waits for the commit.
  @Get('passthrough-redirect-returning')
  async passthroughRedirectReturning(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await seg.set('step', 'redirect and a value');
    reply.redirect('/cor/read', 302);
    return { ignored: true };
  }

  @Get('answered-twice')
  async answeredTwice(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'answered twice');
    reply.code(201).send({ first: true });
    reply.code(200).send({ second: true });
  }

  /** Answers on Node's own response, then changes a header, as code after that answer might. */
  @Get('raw-answered-then-changed')
  async rawAnsweredThenChanged(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'raw answer');
    reply.raw.writeHead(201, { 'content-type': 'application/json' });
    reply.raw.end(JSON.stringify({ first: true }));
    try {
      reply.raw.setHeader('x-after-answer', 'changed');
      reply.raw.removeHeader('content-type');
    } catch {
      // Node refuses a header change once the answer went out.
    }
  }

  @Get('manual')
  async manual(@Session() session: SessionManager, @Res() reply: FastifyReply) {
    await session.newSegment<Values>(SEG).set('step', 'manual');
    await session.commit();
    reply.status(200).send({ sent: 'by hand' });
  }

  @Get('raw-after-commit')
  async rawAfterCommit(@Session() session: SessionManager, @Res() reply: FastifyReply) {
    await streamAfterCommit(session, reply.raw);
  }

  @Get('raw-after-login')
  async rawAfterLogin(@Session() session: SessionManager, @Res() reply: FastifyReply) {
    await session.regenerateId();
    await streamAfterCommit(session, reply.raw);
  }

  @Get('other-cookies')
  async otherCookies(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    reply.raw.setHeader('set-cookie', ['raw=1; Path=/']);
    reply.header('set-cookie', 'theme=dark; Path=/');
    await seg.set('step', 'with other cookies');
    return { ok: true };
  }

  @Get('other-cookies-after')
  async otherCookiesAfter(
    @Session() session: SessionManager,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await session.newSegment<Values>(SEG).set('step', 'committed first');
    await session.commit();
    reply.header('set-cookie', 'theme=light; Path=/');
    await session.newSegment<Values>(SEG).set('visits', 1);
    return { ok: true };
  }
}

const RESPONSE_CONTROLLERS: Record<AdapterName, Type> = {
  express: ExpressResponseController,
  fastify: FastifyResponseController,
};

describe.each(ADAPTERS)('commit on response (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [
      CommitController,
      RESPONSE_CONTROLLERS[adapter],
    ]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  function read(sid: string) {
    return t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
  }

  it('commits and sends the cookie on a thrown 400', async () => {
    const res = await t.http().get('/cor/bad-request').expect(400);
    expect(res.body.message).toBe('Name is required');
    const sid = sidOf(res)!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(calls.set).toBe(1);
    expect((await read(sid)).body).toEqual({ step: 'failed', flash: 'Name is required' });
  });

  it('commits before a @Redirect so the follow-up request sees the write', async () => {
    const res = await t.http().get('/cor/redirect').expect(302);
    expect(res.headers.location).toBe('/cor/read');
    const sid = sidOf(res)!;
    expect(sid).toBeDefined();
    expect((await read(sid)).body.step).toBe('redirected');
  });

  it('commits before a dynamic @Redirect', async () => {
    const res = await t.http().get('/cor/dynamic-redirect').expect(303);
    expect((await read(sidOf(res)!)).body.step).toBe('dynamic');
  });

  it('sends the regenerated id on a login @Redirect and kills the old one', async () => {
    const sid = sidOf(await t.http().get('/cor/redirect').expect(302))!;
    const res = await t.http().get('/cor/login').set('Cookie', `sid=${sid}`).expect(302);
    const fresh = sidOf(res)!;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(sid);
    expect((await read(fresh)).body.step).toBe('logged in');
    expect((await read(sid)).body.step).toBeNull();
  });

  it('expires the cookie on a logout @Redirect and the session is gone', async () => {
    const sid = sidOf(await t.http().get('/cor/redirect').expect(302))!;
    const res = await t.http().get('/cor/logout').set('Cookie', `sid=${sid}`).expect(302);
    expect(setCookieFor(res)).toMatch(/^sid=;.*Max-Age=0/i);
    expect((await read(sid)).body.step).toBeNull();
  });

  it('commits with @Res({ passthrough: true }) and a status set on the response', async () => {
    const res = await t.http().get(`/cor/${adapter}/passthrough-status`).expect(202);
    expect(res.body).toEqual({ ok: true });
    expect((await read(sidOf(res)!)).body.step).toBe('passthrough');
  });

  it('commits with @Res({ passthrough: true }) and a redirect sent on the response', async () => {
    const res = await t.http().get(`/cor/${adapter}/passthrough-redirect`).expect(302);
    expect(res.headers.location).toBe('/cor/read');
    const sid = sidOf(res);
    expect(sid).toBeDefined();
    expect((await read(sid!)).body.step).toBe('passthrough redirect');
  });

  it('answers a redirect once when the handler also returns a value', async () => {
    const res = await t.http().get(`/cor/${adapter}/passthrough-redirect-returning`).expect(302);
    expect(res.headers.location).toBe('/cor/read');
    expect(Number(res.headers['content-length'] ?? 0)).toBe(Buffer.byteLength(res.text));
    expect(res.text).not.toMatch(/ignored/);
    expect((await read(sidOf(res)!)).body.step).toBe('redirect and a value');
  });

  it('sends the first of two answers whole, and keeps the write', async () => {
    const res = await t.http().get(`/cor/${adapter}/answered-twice`).expect(201);
    expect(res.body).toEqual({ first: true });
    expect((await read(sidOf(res)!)).body.step).toBe('answered twice');
  });

  it('sends an answer on the raw response as it was when the handler sent it', async () => {
    const res = await t.http().get(`/cor/${adapter}/raw-answered-then-changed`).expect(201);
    expect(res.body).toEqual({ first: true });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-after-answer']).toBeUndefined();
    expect((await read(sidOf(res)!)).body.step).toBe('raw answer');
  });

  it('works with @Res() and an explicit commit before sending', async () => {
    const res = await t.http().get(`/cor/${adapter}/manual`).expect(200);
    expect(res.body).toEqual({ sent: 'by hand' });
    expect((await read(sidOf(res)!)).body.step).toBe('manual');
  });

  it('sends the cookie of a commit() made before the handler answers through the raw response', async () => {
    const res = await t.http().get(`/cor/${adapter}/raw-after-commit`).expect(200);
    expect(res.text).toBe('id,name\n');
    expect((await read(sidOf(res)!)).body.step).toBe('streamed');
  });

  it('sends the new id of a login committed before the handler answers through the raw response', async () => {
    const sid = sidOf(await t.http().get(`/cor/${adapter}/raw-after-commit`).expect(200))!;
    const res = await t.http().get(`/cor/${adapter}/raw-after-login`).set('Cookie', `sid=${sid}`);
    expect(res.status).toBe(200);
    const fresh = sidOf(res)!;
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(sid);
    expect((await read(fresh)).body.step).toBe('streamed');
    expect((await read(sid)).body.step).toBeNull();
  });

  it('keeps cookies the handler set alongside the session cookie', async () => {
    const res = await t.http().get(`/cor/${adapter}/other-cookies`).expect(200);
    const pairs = cookiesOf(res);
    expect(pairs).toEqual(expect.arrayContaining(['raw=1', 'theme=dark']));
    expect(pairs.filter((pair) => pair.startsWith('sid='))).toHaveLength(1);
    expect((await read(sidOf(res)!)).body.step).toBe('with other cookies');
  });

  it('keeps a cookie set between an explicit commit and the final one', async () => {
    const res = await t.http().get(`/cor/${adapter}/other-cookies-after`).expect(200);
    const pairs = cookiesOf(res);
    expect(pairs).toContain('theme=light');
    expect(pairs.filter((pair) => pair.startsWith('sid='))).toHaveLength(1);
    expect(calls.set).toBe(2);
    const sid = sidOf(res)!;
    const seen = await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(seen.body.step).toBe('committed first');
  });

  it('writes nothing when the handler changed nothing', async () => {
    const first = await t.http().get('/cor/redirect').expect(302);
    const sid = sidOf(first)!;
    calls.reset();
    const res = await t.http().get('/cor/nothing-changed').set('Cookie', `sid=${sid}`).expect(200);
    expect(setCookieFor(res)).toBeUndefined();
    expect(calls.get).toBe(1);
    expect(calls.set).toBe(0);
    expect(calls.delete).toBe(0);
  });
});

describe.each(ADAPTERS)('throttled touch (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();
  const clock = fakeClock();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache, idleTimeout: 10_000, touchAfter: 150 }, [
      CommitController,
    ]);
  });
  afterAll(() => t.close());

  it('touches a read-only session at most once per touchAfter', async () => {
    const sid = sidOf(await t.http().get('/cor/redirect').expect(302))!;
    calls.reset();
    await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.set).toBe(0);
    clock.advance(200);
    await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.set).toBe(1);
    await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.set).toBe(1);
  });
});

// `touchAfter: 0` pushes the expiry on every read. The hold of an Express response replays its
// `end()` through the commit check, which a touch due "now" used to satisfy again and again.
describe.each(
  ADAPTERS.flatMap((adapter) =>
    [
      { adapter, store: 'memory store', persistent: false },
      { adapter, store: 'asynchronous store', persistent: false },
      { adapter, store: 'asynchronous store', persistent: true },
    ].map((row) => ({
      ...row,
      name: `${row.adapter}, ${row.store}${row.persistent ? ', maxAge' : ''}`,
    })),
  ),
)('touchAfter: 0 ($name)', ({ adapter, store, persistent }) => {
  let t: TestApp;
  const { cache, calls } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(
      adapter,
      {
        ...(store === 'memory store' ? {} : { store: cache }),
        touchAfter: 0,
        ...(persistent ? { cookie: { maxAge: 60_000 } } : {}),
      },
      [CommitController],
    );
  });
  afterAll(() => t.close());

  it('saves a write once and answers it', async () => {
    calls.reset();
    const res = await t.http().get('/cor/redirect').expect(302);
    const sid = sidOf(res)!;
    expect(sid).toBeDefined();
    if (store !== 'memory store') expect(calls.set).toBe(1);
    const seen = await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(seen.body.step).toBe('redirected');
  });

  it('touches a session once for every read', async () => {
    const sid = sidOf(await t.http().get('/cor/redirect').expect(302))!;
    calls.reset();
    for (let i = 0; i < 3; i++) {
      const res = await t.http().get('/cor/read').set('Cookie', `sid=${sid}`).expect(200);
      expect(res.body.step).toBe('redirected');
      expect(setCookieFor(res) !== undefined).toBe(persistent);
    }
    if (store !== 'memory store') expect(calls.set).toBe(3);
  });
});
