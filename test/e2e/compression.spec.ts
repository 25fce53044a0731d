import { Controller, Get, Post, Res, Sse, StreamableFile } from '@nestjs/common';
import compression from 'compression';
import type { Response } from 'express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { interval, map, take } from 'rxjs';
import { Segment, SessionModule, type SessionModuleOptions } from '../../src/index.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

type Visits = Segment<{ n: number }>;

const count = async (visits: Visits) => visits.set('n', (await visits.get('n', 0)) + 1);

@Controller('z')
class CompressedController {
  @Get('write-end')
  async writeEnd(@Segment('App\\Visits') visits: Visits, @Res() res: ServerResponse) {
    await count(visits);
    res.setHeader('content-type', 'text/plain');
    res.write('hello ');
    res.end('world');
  }

  @Get('status-write-end')
  async statusWriteEnd(@Segment('App\\Visits') visits: Visits, @Res() res: ServerResponse) {
    await count(visits);
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.write('made ');
    res.end('it');
  }

  @Get('file')
  async file(@Segment('App\\Visits') visits: Visits) {
    await count(visits);
    return new StreamableFile(Readable.from([Buffer.from('part1 '), Buffer.from('part2')]), {
      type: 'text/plain',
    });
  }

  @Get('large')
  async large(@Segment('App\\Visits') visits: Visits) {
    await count(visits);
    return { text: 'compressible '.repeat(500) };
  }

  @Sse('events')
  async events(@Segment('App\\Visits') visits: Visits) {
    await count(visits);
    return interval(5).pipe(
      take(2),
      map((i) => ({ data: { i } })),
    );
  }

  @Get('redirect-then-return')
  async redirectThenReturn(
    @Segment('App\\Visits') visits: Visits,
    @Res({ passthrough: true }) res: Response,
  ) {
    await count(visits);
    res.redirect(303, '/z/n');
    // A second answer, which Node refuses once the first has gone out.
    return { text: 'second answer '.repeat(200) };
  }

  @Get('n')
  async n(@Segment('App\\Visits') visits: Visits) {
    return { n: await visits.get('n', 0) };
  }

  @Post('n')
  post() {
    return { ok: true };
  }
}

const ROUTES = [
  { path: '/z/write-end', status: 200, body: 'hello world', gzip: true },
  { path: '/z/status-write-end', status: 201, body: 'made it', gzip: true },
  { path: '/z/file', status: 200, body: 'part1 part2', gzip: true },
  {
    path: '/z/large',
    status: 200,
    body: JSON.stringify({ text: 'compressible '.repeat(500) }),
    gzip: true,
  },
  // Nest marks an event stream `no-transform`, which compression() leaves as it is.
  {
    path: '/z/events',
    status: 200,
    body: '\nid: 1\ndata: {"i":0}\n\nid: 2\ndata: {"i":1}\n\n',
    gzip: false,
  },
];

async function startCompressed(options: SessionModuleOptions): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers: [CompressedController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  // compression() wraps each response's own write(), end() and writeHead(), in front of the
  // hold that Express responses get from their prototype once they use their session.
  app.use(compression({ threshold: 0 }));
  await app.init();
  return { app, http: () => request(app.getHttpServer()), close: () => app.close() };
}

function checkCompressedResponses(app: () => TestApp): void {
  it.each(ROUTES)(
    '$path: sends the whole body, compressed, with the cookie of a new session',
    async ({ path, status, body, gzip }) => {
      const res = await app().http().get(path).set('Accept-Encoding', 'gzip').expect(status);
      expect(res.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
      expect(res.text).toBe(body);
      const sid = sidOf(res)!;
      expect(sid).toBeDefined();
      const read = await app().http().get('/z/n').set('Cookie', `sid=${sid}`).expect(200);
      expect(read.body).toEqual({ n: 1 });
    },
  );

  it('sends the first answer of a handler that redirected and then returned a value', async () => {
    const sid = sidOf(await app().http().get('/z/write-end').expect(200))!;
    const res = await app()
      .http()
      .get('/z/redirect-then-return')
      .set('Cookie', `sid=${sid}`)
      .timeout(3000)
      .expect(303);
    expect(res.headers.location).toBe('/z/n');
    expect(res.text).not.toContain('second answer');
    const read = await app().http().get('/z/n').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toEqual({ n: 2 });
  });

  it.each(ROUTES)(
    '$path: saves the write of an existing session and sends the whole body',
    async ({ path, status, body }) => {
      const sid = sidOf(await app().http().get('/z/write-end').expect(200))!;
      const res = await app().http().get(path).set('Cookie', `sid=${sid}`).expect(status);
      expect(res.text).toBe(body);
      expect(setCookieFor(res)).toBeUndefined();
      const read = await app().http().get('/z/n').set('Cookie', `sid=${sid}`).expect(200);
      expect(read.body).toEqual({ n: 2 });
    },
  );
}

// compression() calls writeHead() before each write() and end() while `headersSent` is false,
// which a response held for an asynchronous commit leaves it. The memory store commits inside
// the first call, so it never holds; the asynchronous stores do.
describe.each([
  { name: 'memory store', options: (): SessionModuleOptions => ({}) },
  {
    name: 'asynchronous Keyv store',
    options: (): SessionModuleOptions => ({ store: countingCache().cache }),
  },
])('compression() on Express ($name)', ({ options }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startCompressed(options());
  });
  afterAll(() => t.close());
  checkCompressedResponses(() => t);
});

const onRedis = redisAvailable('e2e: compression() on Redis') ? describe : describe.skip;

onRedis('compression() on Express (Redis)', () => {
  let redis: RedisServer;
  let client: ReturnType<typeof redisCache>;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedis();
    client = redisCache(redis.url);
    t = await startCompressed({ store: client.cache });
  });
  afterAll(async () => {
    await t?.close();
    await client?.disconnect();
    await redis?.stop();
  });
  checkCompressedResponses(() => t);
});
