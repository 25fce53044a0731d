import { BadRequestException, Controller, Get, Post, UseInterceptors } from '@nestjs/common';
import { Segment, SessionInterceptor } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { ADAPTERS, cookiesOf, createTestApp, type TestApp } from '../support/apps/test-app.js';

@Controller('intercepted')
@UseInterceptors(SessionInterceptor)
class InterceptedController {
  @Post()
  async write(@Segment('s') segment: Segment<{ n: number }>): Promise<{ ok: true }> {
    await segment.set('n', 1);
    return { ok: true };
  }

  @Post('fail')
  async writeThenFail(@Segment('s') segment: Segment<{ n: number }>): Promise<never> {
    await segment.set('n', 2);
    throw new BadRequestException('nope');
  }

  @Get()
  async read(@Segment('s') segment: Segment<{ n: number }>): Promise<{ n: number | null }> {
    return { n: (await segment.get('n')) ?? null };
  }

  @Get('untouched')
  untouched(): string {
    return 'ok';
  }
}

describe.each(ADAPTERS)('SessionInterceptor on an HTTP controller (%s)', (adapter) => {
  const { cache, calls } = countingCache();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache, csrf: false }, [InterceptedController]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  it('commits once: one store write, Set-Cookie on the response, the next request sees it', async () => {
    const res = await t.http().post('/intercepted').expect(201);
    expect(calls.set).toBe(1);
    const cookie = cookiesOf(res).find((c) => c.startsWith('sid='));
    expect(cookie).toBeDefined();
    expect((await t.http().get('/intercepted').set('Cookie', cookie!)).body).toEqual({ n: 1 });
  });

  it('commits a write made before a thrown HttpException, once', async () => {
    const res = await t.http().post('/intercepted/fail').expect(400);
    expect(calls.set).toBe(1);
    const cookie = cookiesOf(res).find((c) => c.startsWith('sid='))!;
    expect((await t.http().get('/intercepted').set('Cookie', cookie)).body).toEqual({ n: 2 });
  });

  it('makes no store call for a handler that does not use the session', async () => {
    await t.http().get('/intercepted/untouched').set('Cookie', 'sid=x').expect(200);
    expect(calls.total()).toBe(0);
  });
});
