import { Controller, Get, Post, Body } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

@Controller()
class SmokeController {
  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @Get('write')
  async write(@Segment('App\\Counter') seg: Segment<{ n: number }>) {
    const n = (await seg.get('n', 0))! + 1;
    await seg.set('n', n);
    return { n };
  }

  @Get('read')
  async read(@Segment('App\\Counter') seg: Segment<{ n: number }>) {
    return { n: await seg.get('n', 0) };
  }

  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Post('post')
  post(@Body() body: unknown) {
    return { ok: true, body };
  }
}

describe.each(ADAPTERS)('smoke (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [SmokeController]);
  });
  afterAll(() => t.close());

  it('works end to end', async () => {
    calls.reset();
    const a = await t.http().get('/untouched').expect(200);
    expect(a.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
    const w = await t.http().get('/write').expect(200);
    expect(w.body).toEqual({ n: 1 });
    const sid = sidOf(w)!;
    expect(sid).toHaveLength(43);
    const w2 = await t.http().get('/write').set('Cookie', `sid=${sid}`).expect(200);
    expect(w2.body).toEqual({ n: 2 });
    expect(w2.headers['set-cookie']).toBeUndefined();
    const r = await t.http().get('/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(r.body).toEqual({ n: 2 });
    calls.reset();
    await t.http().get('/untouched').set('Cookie', `sid=${sid}`).expect(200);
    expect(calls.total()).toBe(0);
    const tok = await t.http().get('/token').set('Cookie', `sid=${sid}`).expect(200);
    await t.http().post('/post').set('Cookie', `sid=${sid}`).send({ a: 1 }).expect(403);
    await t
      .http()
      .post('/post')
      .set('Cookie', `sid=${sid}`)
      .set('x-csrf-token', tok.body.token)
      .send({ a: 1 })
      .expect(201);
    await t
      .http()
      .post('/post')
      .set('Cookie', `sid=${sid}`)
      .type('form')
      .send({ __csrf_value: tok.body.token })
      .expect(201);
  });
});
