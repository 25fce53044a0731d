import { Controller, Get, Options, Query } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { peekSession } from '../support/stores/core-store.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const FLASH = 'App\\Flash';
type Values = { notice: string };

@Controller('flash')
class FlashController {
  @Get('set')
  async set(@Segment(FLASH) seg: Segment, @Query('key') key = 'notice', @Query('v') v = 'saved') {
    await seg.setFlash(key, v);
    return { ok: true };
  }

  @Get('get')
  async get(@Segment(FLASH) seg: Segment, @Query('key') key = 'notice') {
    return { value: await seg.getFlash(key, 'none') };
  }

  @Options('get')
  async options(@Segment(FLASH) seg: Segment) {
    return { value: await seg.getFlash('notice', 'none') };
  }

  @Get('has')
  async has(@Segment(FLASH) seg: Segment) {
    return { first: await seg.hasFlash('notice'), second: await seg.hasFlash('notice') };
  }

  @Get('now-then-end')
  async nowThenEnd(@Session() session: SessionManager, @Query('end') end: 'clear' | 'destroy') {
    const seg = session.newSegment(FLASH);
    await seg.setFlashNow('notice', 'this request');
    await (end === 'clear' ? session.clear() : session.destroy());
    return { has: await seg.hasFlash('notice'), value: await seg.getFlash('notice', 'none') };
  }

  @Get('set-then-get')
  async setThenGet(@Segment(FLASH) seg: Segment) {
    await seg.setFlash('notice', 'same request');
    return {
      has: await seg.hasFlash('notice'),
      first: await seg.getFlash('notice', 'none'),
      second: await seg.getFlash('notice', 'none'),
    };
  }

  @Get('set-value-and-flash')
  async setValueAndFlash(@Segment(FLASH) seg: Segment<Values>) {
    await seg.set('notice', 'a value');
    await seg.setFlash('notice', 'a flash');
    return { ok: true };
  }

  @Get('value')
  async value(@Segment(FLASH) seg: Segment<Values>) {
    return { value: await seg.get('notice', 'none') };
  }

  @Get('clear')
  async clear(@Segment(FLASH) seg: Segment) {
    await seg.clearFlash();
    return { has: await seg.hasFlash('notice'), all: await seg.getAllFlash() };
  }

  @Get('other/set')
  async otherSet(@Segment('App\\OtherFlash') other: Segment) {
    await other.setFlash('notice', 'other');
    return { ok: true };
  }

  @Get('other/get')
  async otherGet(@Segment('App\\OtherFlash') other: Segment) {
    return { value: await other.getFlash('notice', 'none') };
  }

  @Get('now')
  async now(@Segment(FLASH) seg: Segment) {
    await seg.setFlashNow('now', 'this request');
    return {
      has: await seg.hasFlash('now'),
      value: await seg.getFlash('now', 'none'),
      again: await seg.getFlash('now', 'none'),
    };
  }

  @Get('now-all')
  async nowAll(@Segment(FLASH) seg: Segment) {
    await seg.setFlashNow('now', 'this request');
    return { all: await seg.getAllFlash() };
  }

  @Get('all')
  async all(@Segment(FLASH) seg: Segment) {
    return { all: await seg.getAllFlash() };
  }

  @Get('keep-all')
  async keepAll(@Segment(FLASH) seg: Segment) {
    const all = await seg.getAllFlash();
    await seg.keepFlash();
    return { all };
  }

  @Get('keep')
  async keep(@Segment(FLASH) seg: Segment) {
    const value = await seg.getFlash('notice', 'none');
    await seg.keepFlash();
    return { value };
  }
}

describe.each(ADAPTERS)('flash (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls, keyv } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [FlashController]);
  });
  afterAll(() => t.close());

  /** A new session holding flash `notice` = `saved`; returns its Cookie header. */
  async function withFlash(): Promise<string> {
    const res = await t.http().get('/flash/set').expect(200);
    return `sid=${sidOf(res)!}`;
  }

  function read(cookie: string, path = '/flash/get') {
    return t.http().get(path).set('Cookie', cookie).expect(200);
  }

  it('returns a flash value once in a later request, then the default', async () => {
    const cookie = await withFlash();
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('returns a flash value once in the request that set it, and not in a later one', async () => {
    const res = await t.http().get('/flash/set-then-get').expect(200);
    expect(res.body).toEqual({ has: true, first: 'same request', second: 'none' });
    expect((await read(`sid=${sidOf(res)!}`)).body).toEqual({ value: 'none' });
  });

  it('returns undefined (the alt) without a session and sends no cookie', async () => {
    calls.reset();
    const res = await t.http().get('/flash/get').expect(200);
    expect(res.body).toEqual({ value: 'none' });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);
  });

  it('never consumes with hasFlash', async () => {
    const cookie = await withFlash();
    expect((await read(cookie, '/flash/has')).body).toEqual({ first: true, second: true });
    expect((await read(cookie, '/flash/has')).body).toEqual({ first: true, second: true });
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie, '/flash/has')).body).toEqual({ first: false, second: false });
  });

  it('never consumes on a HEAD request', async () => {
    const cookie = await withFlash();
    calls.reset();
    await t.http().head('/flash/get').set('Cookie', cookie).expect(200);
    // The handler ran (it loaded the session) yet left the value in place.
    expect(calls.get).toBe(1);
    await t.http().head('/flash/get').set('Cookie', cookie).expect(200);
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('never consumes on an OPTIONS request', async () => {
    const cookie = await withFlash();
    const res = await t.http().options('/flash/get').set('Cookie', cookie).expect(200);
    expect(res.body).toEqual({ value: 'saved' });
    expect((await t.http().options('/flash/get').set('Cookie', cookie)).body).toEqual({
      value: 'saved',
    });
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('keeps flash values apart from ordinary values of the same key', async () => {
    const res = await t.http().get('/flash/set-value-and-flash').expect(200);
    const cookie = `sid=${sidOf(res)!}`;
    expect((await read(cookie)).body).toEqual({ value: 'a flash' });
    expect((await read(cookie, '/flash/value')).body).toEqual({ value: 'a value' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
    expect((await read(cookie, '/flash/value')).body).toEqual({ value: 'a value' });
  });

  it('clears every flash value of this segment only with clearFlash', async () => {
    const cookie = await withFlash();
    await read(cookie, '/flash/set?key=second&v=2');
    await read(cookie, '/flash/other/set');
    expect((await read(cookie, '/flash/clear')).body).toEqual({ has: false, all: {} });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
    expect((await read(cookie, '/flash/get?key=second')).body).toEqual({ value: 'none' });
    expect((await read(cookie, '/flash/other/get')).body).toEqual({ value: 'other' });
  });

  it('shows setFlashNow to this request only and never stores it', async () => {
    calls.reset();
    const fresh = await t.http().get('/flash/now').expect(200);
    expect(fresh.body).toEqual({ has: true, value: 'this request', again: 'none' });
    expect(fresh.headers['set-cookie']).toBeUndefined();
    expect(calls.total()).toBe(0);

    const cookie = await withFlash();
    const res = await read(cookie, '/flash/now');
    expect(res.body).toEqual({ has: true, value: 'this request', again: 'none' });
    expect((await read(cookie, '/flash/get?key=now')).body).toEqual({ value: 'none' });
    const stored = await peekSession(keyv, cookie.slice('sid='.length));
    expect(stored?.segments[FLASH]?.flash).toEqual({ notice: 'saved' });
  });

  it.each(['clear', 'destroy'])('forgets setFlashNow values on %s()', async (end) => {
    const res = await t.http().get(`/flash/now-then-end?end=${end}`).expect(200);
    expect(res.body).toEqual({ has: false, value: 'none' });
  });

  it('reads and consumes every flash value of the segment with getAllFlash', async () => {
    const cookie = await withFlash();
    await read(cookie, '/flash/set?key=second&v=2');
    await read(cookie, '/flash/other/set');
    expect((await read(cookie, '/flash/all')).body).toEqual({
      all: { notice: 'saved', second: '2' },
    });
    expect((await read(cookie, '/flash/all')).body).toEqual({ all: {} });
    expect((await read(cookie, '/flash/other/get')).body).toEqual({ value: 'other' });
  });

  it('includes setFlashNow values in getAllFlash', async () => {
    const cookie = await withFlash();
    expect((await read(cookie, '/flash/now-all')).body).toEqual({
      all: { notice: 'saved', now: 'this request' },
    });
    expect((await read(cookie, '/flash/all')).body).toEqual({ all: {} });
  });

  it('keeps values read in this request for one more read with keepFlash', async () => {
    const cookie = await withFlash();
    expect((await read(cookie, '/flash/keep')).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'saved' });
    expect((await read(cookie)).body).toEqual({ value: 'none' });
  });

  it('keeps every value read by getAllFlash for one more read with keepFlash', async () => {
    const cookie = await withFlash();
    await read(cookie, '/flash/set?key=second&v=2');
    const all = { notice: 'saved', second: '2' };
    expect((await read(cookie, '/flash/keep-all')).body).toEqual({ all });
    expect((await read(cookie, '/flash/all')).body).toEqual({ all });
    expect((await read(cookie, '/flash/all')).body).toEqual({ all: {} });
  });
});
