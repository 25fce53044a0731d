import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { Segment } from '../../src/index.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const SEG = 'App\\Input';

/** Stores what the framework parsed from the request, as it hands it over. */
@Controller('input')
class InputController {
  @Get('search')
  async search(@Segment(SEG) seg: Segment, @Query() query: unknown) {
    await seg.set('query', query);
    return { ok: true };
  }

  @Get('items/:id/:slug')
  async item(@Segment(SEG) seg: Segment, @Param() params: unknown) {
    await seg.set('params', params);
    return { ok: true };
  }

  @Post('form')
  async form(@Segment(SEG) seg: Segment, @Body() body: unknown) {
    await seg.set('form', body);
    return { ok: true };
  }

  @Get('read')
  async read(@Segment(SEG) seg: Segment) {
    return seg.getAll();
  }
}

describe.each(ADAPTERS)('storing parsed input on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { csrf: false }, [InputController]);
  });
  afterAll(() => t.close());

  const read = async (sid: string) =>
    (await t.http().get('/input/read').set('Cookie', `sid=${sid}`).expect(200)).body;

  it('stores the parsed query string', async () => {
    const res = await t.http().get('/input/search?q=shoes&tag=red&tag=blue').expect(200);
    expect((await read(sidOf(res)!)).query).toEqual({ q: 'shoes', tag: ['red', 'blue'] });
  });

  it('stores the route parameters', async () => {
    const res = await t.http().get('/input/items/42/blue-shoes').expect(200);
    expect((await read(sidOf(res)!)).params).toEqual({ id: '42', slug: 'blue-shoes' });
  });

  it('stores a parsed urlencoded form', async () => {
    const res = await t
      .http()
      .post('/input/form')
      .type('form')
      .send('name=Ada&city=London')
      .expect(201);
    expect((await read(sidOf(res)!)).form).toEqual({ name: 'Ada', city: 'London' });
  });
});
