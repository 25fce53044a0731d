import { Controller, Get, Logger, Res } from '@nestjs/common';
import { createServer, ServerResponse } from 'node:http';
import { jest } from '@jest/globals';
import request from 'supertest';
import { Session, SessionManager, type SessionModuleOptions } from '../../src/index.js';
import { resolveSessionConfig } from '../../src/core/session-options.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { sessionOf } from '../../src/http/request-session.js';
import { sessionStoreFor } from '../../src/storage/session-store-for.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { createTestApp, setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

const SEG = 'App\\WriteHead';

@Controller('wh')
class WriteHeadController {
  @Get('redirect')
  async redirect(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'redirect');
    res.writeHead(302, { Location: '/wh/read' });
    res.end();
  }

  @Get('body')
  async body(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'body');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  }

  @Get('chained')
  async chained(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'chained');
    res.writeHead(303, { Location: '/wh/read' }).end();
  }

  @Get('flush-headers')
  async flushHeaders(
    @Session() session: SessionManager,
    @Res({ passthrough: true }) res: ServerResponse,
  ) {
    await session.newSegment(SEG).set('step', 'flush-headers');
    res.flushHeaders();
    return { ok: true };
  }

  @Get('events')
  async events(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'events');
    res.setHeader('content-type', 'text/event-stream');
    res.flushHeaders();
    res.write('data: 1\n\n');
    res.end();
  }

  @Get('changed-while-streaming')
  async changedWhileStreaming(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'before the headers');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first ');
    await session.newSegment(SEG).set('step', 'while streaming');
    res.end('last');
  }

  // Node's own writeHead, not the app's: headers the session's hold does not see go out.
  @Get('unseen-headers')
  async unseenHeaders(@Session() session: SessionManager, @Res() res: ServerResponse) {
    ServerResponse.prototype.writeHead.call(res, 200, { 'content-type': 'text/plain' });
    await session.newSegment(SEG).set('step', 'after unseen headers');
    res.end('done');
  }

  @Get('twice')
  async twice(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'twice');
    res.writeHead(200, { 'content-type': 'text/plain' });
    try {
      res.writeHead(201);
    } catch {
      // Node refuses a second writeHead(), and the response goes on as the first one set it.
    }
    res.end('once');
  }

  @Get('twice-with-headers')
  async twiceWithHeaders(@Session() session: SessionManager, @Res() res: ServerResponse) {
    await session.newSegment(SEG).set('step', 'twice-with-headers');
    res.writeHead(201, { 'x-first': '1' });
    try {
      res.writeHead(202, { 'x-second': '1' });
    } catch (error) {
      res.end(`refused: ${(error as { code?: string }).code}`);
      return;
    }
    res.end('not refused');
  }

  @Get('untouched')
  untouched(@Res() res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('untouched');
  }

  @Get('read-only')
  async readOnly(@Session() session: SessionManager, @Res() res: ServerResponse) {
    const step = await session.newSegment(SEG).get('step');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ step: step ?? null }));
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

const SENDERS = [
  { path: 'redirect', status: 302, location: '/wh/read', body: '' },
  { path: 'body', status: 200, location: undefined, body: '{"ok":true}' },
  { path: 'chained', status: 303, location: '/wh/read', body: '' },
  // Express's send() cannot set its headers once flushHeaders() sent them: its body is not asserted.
  { path: 'flush-headers', status: 200, location: undefined, body: undefined },
  { path: 'events', status: 200, location: undefined, body: 'data: 1\n\n' },
];

// The memory store commits inside the call that sends the headers; the counting cache commits
// through a promise, so the calls after the first are held and replayed.
const STORES: Array<{ name: string; options: () => SessionModuleOptions }> = [
  { name: 'memory store', options: () => ({}) },
  { name: 'asynchronous store', options: () => ({ store: countingCache().cache }) },
];

describe.each(STORES)('writeHead() and flushHeaders() on Express ($name)', ({ options }) => {
  let t: TestApp;
  let warnings: string[];

  beforeAll(async () => {
    t = await createTestApp('express', options(), [WriteHeadController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    // A warning repeated within 10 s is only counted: each test's own warnings start afresh.
    t.app.get(SessionRuntime).logger.flush?.();
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const read = async (sid: string) =>
    (await t.http().get('/wh/read').set('Cookie', `sid=${sid}`).expect(200)).body.step;

  it.each(SENDERS)(
    '$path: a new session is stored and its cookie sent',
    async ({ path, status, location, body }) => {
      const res = await t.http().get(`/wh/${path}`);
      expect(res.status).toBe(status);
      expect(res.headers.location).toBe(location);
      if (body !== undefined) expect(res.text).toBe(body);
      const sid = sidOf(res)!;
      expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await read(sid)).toBe(path);
      expect(warnings).toEqual([]);
    },
  );

  it.each(SENDERS)('$path: an existing session keeps the write', async ({ path, status }) => {
    const sid = sidOf(await t.http().get('/wh/start').expect(200))!;
    await t.http().get(`/wh/${path}`).set('Cookie', `sid=${sid}`).expect(status);
    expect(await read(sid)).toBe(path);
  });

  it('saves a change made after the headers went out, and warns that no cookie went with it', async () => {
    const res = await t.http().get('/wh/changed-while-streaming').expect(200);
    expect(res.text).toBe('first last');
    const sid = sidOf(res)!;
    expect(sid).toBeDefined();
    expect(await read(sid)).toBe('while streaming');
    expect(warnings).toEqual([expect.stringMatching(/after its response headers were sent/)]);
  });

  it('saves a change when the headers went out unseen, and warns', async () => {
    const sid = sidOf(await t.http().get('/wh/start').expect(200))!;
    const res = await t.http().get('/wh/unseen-headers').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.text).toBe('done');
    expect(setCookieFor(res)).toBeUndefined();
    expect(await read(sid)).toBe('after unseen headers');
    expect(warnings).toEqual([expect.stringMatching(/after its response headers were sent/)]);
  });

  it('sends the response as its first writeHead() set it, as Node does, not a second one', async () => {
    const res = await t.http().get('/wh/twice').expect(200);
    expect(res.text).toBe('once');
    expect(await read(sidOf(res)!)).toBe('twice');
  });

  it('refuses a second writeHead() with headers at once, as Node does, so the handler can answer', async () => {
    const res = await t.http().get('/wh/twice-with-headers').expect(201);
    expect(res.text).toBe('refused: ERR_HTTP_HEADERS_SENT');
    expect(res.headers['x-first']).toBe('1');
    expect(res.headers['x-second']).toBeUndefined();
    expect(await read(sidOf(res)!)).toBe('twice-with-headers');
  });

  it('leaves a response whose handler never used the session untouched', async () => {
    const res = await t.http().get('/wh/untouched').expect(200);
    expect(res.text).toBe('untouched');
    expect(setCookieFor(res)).toBeUndefined();
  });

  it('sends a read-only session’s response without a cookie or a store write', async () => {
    const sid = sidOf(await t.http().get('/wh/start').expect(200))!;
    const res = await t.http().get('/wh/read-only').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.body).toEqual({ step: 'start' });
    expect(setCookieFor(res)).toBeUndefined();
  });
});

describe('writeHead() and flushHeaders() on Express, store failing', () => {
  const { cache, state } = switchableCache();
  let t: TestApp;
  let warnings: string[];

  beforeAll(async () => {
    t = await createTestApp('express', { store: cache }, [WriteHeadController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    // A warning repeated within 10 s is only counted: each test's own warnings start afresh.
    t.app.get(SessionRuntime).logger.flush?.();
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => {
    state.writesDown = false;
    jest.restoreAllMocks();
  });

  it.each(SENDERS)('$path: a failed commit answers 503, as for end()', async ({ path }) => {
    state.writesDown = true;
    const res = await t.http().get(`/wh/${path}`).expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(res.headers.location).toBeUndefined();
    expect(setCookieFor(res)).toBeUndefined();
  });

  it('logs a failed commit after unseen headers and ends the response', async () => {
    const sid = sidOf(await t.http().get('/wh/start').expect(200))!;
    state.writesDown = true;
    const res = await t.http().get('/wh/unseen-headers').set('Cookie', `sid=${sid}`).expect(200);
    expect(res.text).toBe('done');
    expect(warnings).toContainEqual(expect.stringMatching(/^Session not saved/));
    state.writesDown = false;
    expect((await t.http().get('/wh/read').set('Cookie', `sid=${sid}`).expect(200)).body.step).toBe(
      'start',
    );
  });
});

describe('writeHead() on Express: store calls', () => {
  it('commits once: the writeHead() inside Node’s own end() is not a second commit', async () => {
    const { cache, calls } = countingCache();
    const t = await createTestApp('express', { store: cache }, [WriteHeadController]);
    try {
      const sid = sidOf(await t.http().get('/wh/start').expect(200))!;
      calls.reset();
      await t.http().get('/wh/body').set('Cookie', `sid=${sid}`).expect(200);
      await t.http().get('/wh/redirect').set('Cookie', `sid=${sid}`).expect(302);
      await t.http().get('/wh/events').set('Cookie', `sid=${sid}`).expect(200);
      expect(calls.set).toBe(3);
      calls.reset();
      await t.http().get('/wh/untouched').set('Cookie', `sid=${sid}`).expect(200);
      expect(calls.total()).toBe(0);
    } finally {
      await t.close();
    }
  });
});

// A request that did not come through the app the module hooked: its response's own methods are
// wrapped instead of the app's response prototype.
describe('writeHead() on a response outside the hooked app', () => {
  const runtime = new SessionRuntime(
    resolveSessionConfig({}),
    sessionStoreFor(countingCache().cache),
    { warn: () => undefined },
  );
  const server = createServer((req, res) => {
    const request = {
      method: req.method,
      headers: req.headers,
      protocol: 'http',
      secure: false,
      res,
    };
    const segment = sessionOf(request, runtime).newSegment(SEG);
    if (req.url === '/read') {
      void segment.get('step').then((step) => res.end(JSON.stringify({ step: step ?? null })));
      return;
    }
    void segment.set('step', 'outside').then(() => res.writeHead(302, { Location: '/read' }).end());
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('stores a new session and sends its cookie before the headers', async () => {
    const res = await request(server).get('/').expect(302);
    expect(res.headers.location).toBe('/read');
    const sid = sidOf(res)!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const read = await request(server).get('/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(JSON.parse(read.text)).toEqual({ step: 'outside' });
  });
});
