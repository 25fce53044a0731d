import { Controller, Get, Logger, Res } from '@nestjs/common';
import { jest } from '@jest/globals';
import type { FastifyReply } from 'fastify';
import { Segment } from '../../src/index.js';
import { commitTimingStores } from '../support/stores/commit-timing-stores.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { createTestApp, setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

const SEG = 'App\\Raw';
type Values = { step: string };

/** Handlers that take the reply with `@Res()` and answer on it without committing first. */
@Controller('raw')
class RawController {
  @Get('start')
  async start(@Segment(SEG) seg: Segment<Values>) {
    await seg.set('step', 'start');
    return { ok: true };
  }

  @Get('read')
  async read(@Segment(SEG) seg: Segment<Values>) {
    return { step: (await seg.get('step')) ?? null };
  }

  @Get('write-head')
  async writeHead(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'write-head');
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    reply.raw.end('done');
  }

  @Get('stream')
  async stream(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'stream');
    reply.raw.setHeader('content-type', 'text/csv');
    reply.raw.write('id,name\n');
    reply.raw.write('1,Ada\n');
    reply.raw.end();
  }

  @Get('hijack')
  async hijack(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'hijack');
    reply.hijack();
    reply.raw.statusCode = 201;
    reply.raw.end('hijacked');
  }

  @Get('passthrough-raw')
  async passthroughRaw(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await seg.set('step', 'passthrough-raw');
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    reply.raw.end('raw');
  }

  @Get('passthrough-value')
  async passthroughValue(
    @Segment(SEG) seg: Segment<Values>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await seg.set('step', 'passthrough-value');
    reply.header('x-extra', 'yes').code(201);
    return { returned: true };
  }

  @Get('send')
  async send(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'send');
    reply.code(202).send({ sent: true });
  }

  @Get('redirect')
  async redirect(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    await seg.set('step', 'redirect');
    reply.redirect('/raw/read', 303);
  }

  @Get('read-only')
  async readOnly(@Segment(SEG) seg: Segment<Values>, @Res() reply: FastifyReply) {
    const step = (await seg.get('step')) ?? 'none';
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    reply.raw.end(step);
  }
}

const STORES = commitTimingStores('@Res() handlers on Redis');

const RAW_SENDERS = [
  { path: 'write-head', status: 200, body: 'done' },
  { path: 'stream', status: 200, body: 'id,name\n1,Ada\n' },
  { path: 'hijack', status: 201, body: 'hijacked' },
  { path: 'passthrough-raw', status: 200, body: 'raw' },
];

describe.each(STORES)(
  '@Res() handlers answering on the raw response, Fastify ($name)',
  ({ options }) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp('fastify', options(), [RawController]);
    });
    afterAll(() => t.close());

    const read = async (sid: string) =>
      (await t.http().get('/raw/read').set('Cookie', `sid=${sid}`).expect(200)).body.step;

    it.each(RAW_SENDERS)(
      '$path: a new session is stored and its cookie sent',
      async ({ path, status, body }) => {
        const res = await t.http().get(`/raw/${path}`).expect(status);
        expect(res.text).toBe(body);
        const sid = sidOf(res)!;
        expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(res.headers['cache-control']).toBe('private, no-store');
        expect(await read(sid)).toBe(path);
      },
    );

    it.each(RAW_SENDERS)('$path: an existing session keeps the write', async ({ path, status }) => {
      const sid = sidOf(await t.http().get('/raw/start').expect(200))!;
      const res = await t.http().get(`/raw/${path}`).set('Cookie', `sid=${sid}`).expect(status);
      expect(setCookieFor(res)).toBeUndefined();
      expect(await read(sid)).toBe(path);
    });

    it('reply.send() and reply.redirect() still send one session cookie', async () => {
      const sent = await t.http().get('/raw/send').expect(202);
      expect(sent.body).toEqual({ sent: true });
      expect([sent.headers['set-cookie']].flat()).toHaveLength(1);
      expect(await read(sidOf(sent)!)).toBe('send');
      const moved = await t.http().get('/raw/redirect').expect(303);
      expect(moved.headers.location).toBe('/raw/read');
      expect([moved.headers['set-cookie']].flat()).toHaveLength(1);
      expect(await read(sidOf(moved)!)).toBe('redirect');
    });

    it('@Res({ passthrough: true }) returning a value still sends one session cookie', async () => {
      const res = await t.http().get('/raw/passthrough-value').expect(201);
      expect(res.body).toEqual({ returned: true });
      expect(res.headers['x-extra']).toBe('yes');
      expect([res.headers['set-cookie']].flat()).toHaveLength(1);
      expect(await read(sidOf(res)!)).toBe('passthrough-value');
    });

    it('answers a read-only session without a cookie', async () => {
      const sid = sidOf(await t.http().get('/raw/start').expect(200))!;
      const res = await t.http().get('/raw/read-only').set('Cookie', `sid=${sid}`).expect(200);
      expect(res.text).toBe('start');
      expect(setCookieFor(res)).toBeUndefined();
      expect(res.headers['cache-control']).toBe('private');
    });
  },
);

describe('@Res() handlers answering on the raw response, Fastify, store failing', () => {
  const { cache, state } = switchableCache();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('fastify', { store: cache }, [RawController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    state.writesDown = false;
    jest.restoreAllMocks();
  });

  it.each(RAW_SENDERS)('$path: a failed commit answers 503', async ({ path }) => {
    const sid = sidOf(await t.http().get('/raw/start').expect(200))!;
    state.writesDown = true;
    const res = await t.http().get(`/raw/${path}`).set('Cookie', `sid=${sid}`).expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(setCookieFor(res)).toBeUndefined();
    state.writesDown = false;
    expect((await t.http().get('/raw/read').set('Cookie', `sid=${sid}`)).body.step).toBe('start');
  });
});
