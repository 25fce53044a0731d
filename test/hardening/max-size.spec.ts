import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { barrier, HardeningController } from '../support/controllers/hardening-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { memoryStore } from '../support/stores/hardening-stores.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const SEGMENT = 'App\\Big';

describe.each(ADAPTERS)('maxSize (%s)', (adapter) => {
  const store = memoryStore();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: store.cache, maxSize: 1024 }, [HardeningController]);
  });
  afterAll(() => t.close());

  // Every warning the module logs, by message: the 413's details go there, not to the client.
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const put = (key: string, value: unknown, sid?: string) => {
    const req = t
      .http()
      .get('/put')
      .query({ seg: SEGMENT, key, value: JSON.stringify(value) });
    return sid ? req.set('Cookie', `sid=${sid}`) : req;
  };
  const segmentOf = async (sid: string) =>
    (await t.http().get('/all').query({ segs: SEGMENT }).set('Cookie', `sid=${sid}`).expect(200))
      .body.pairs[0][1];

  function expectTooLarge(res: { status: number; body: Record<string, unknown> }) {
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'The session would exceed its size limit; the change was not saved',
      reason: 'session_too_large',
    });
    expect(warnings).toContainEqual(
      expect.stringMatching(/Session too large: .*over maxSize 1024/),
    );
    expect(warnings.join('\n')).toContain(SEGMENT);
  }

  it('refuses a set beyond maxSize with 413 and keeps the previous data', async () => {
    const sid = sidOf(await put('small', 'a').expect(200))!;
    const tooBig = await put('big', 'x'.repeat(2000), sid);
    expectTooLarge(tooBig);
    expect(sidOf(tooBig)).toBeUndefined();
    expect(await segmentOf(sid)).toEqual({ small: 'a' });
  });

  it('accepts values that fit', async () => {
    const sid = sidOf(await put('small', 'a').expect(200))!;
    await put('medium', 'm'.repeat(500), sid).expect(200);
    expect(await segmentOf(sid)).toEqual({ small: 'a', medium: 'm'.repeat(500) });
  });

  it('counts the whole session, not one value', async () => {
    const sid = sidOf(await put('a', 'a'.repeat(400)).expect(200))!;
    await put('b', 'b'.repeat(400), sid).expect(200);
    expectTooLarge(await put('c', 'c'.repeat(400), sid));
    expect(Object.keys(await segmentOf(sid))).toEqual(['a', 'b']);
  });

  it('refuses a replacement beyond maxSize and keeps the old value', async () => {
    const sid = sidOf(await put('k', 'old').expect(200))!;
    expectTooLarge(await put('k', 'n'.repeat(2000), sid));
    expect(await segmentOf(sid)).toEqual({ k: 'old' });
  });

  it('refuses an oversized flash value the same way', async () => {
    const sid = sidOf(await put('small', 'a').expect(200))!;
    const res = await t
      .http()
      .get('/flash-set')
      .query({ seg: SEGMENT, key: 'notice', value: JSON.stringify('f'.repeat(2000)) })
      .set('Cookie', `sid=${sid}`);
    expectTooLarge(res);
    const has = await t
      .http()
      .get('/flash-has')
      .query({ seg: SEGMENT, key: 'notice' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(has.body).toEqual({ has: false });
  });

  it('stores nothing and sends no cookie when the first write of a new session is refused', async () => {
    const before = (await store.keys()).length;
    store.calls.reset();
    const res = await put('big', 'x'.repeat(2000));
    expectTooLarge(res);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(store.calls.set).toBe(0);
    expect(await store.keys()).toHaveLength(before);
  });

  it('never stores more than maxSize when concurrent writes that each fit add up', async () => {
    const sid = sidOf(await put('a', 'a'.repeat(300)).expect(200))!;
    barrier.reset(2);
    const responses = await Promise.all(
      ['b', 'c'].map((key) =>
        t
          .http()
          .get('/put')
          .query({ seg: SEGMENT, key, value: JSON.stringify(key.repeat(300)), barrier: '1' })
          .set('Cookie', `sid=${sid}`),
      ),
    );
    const stored = (await store.readRaw(storeKeyOf(sid))) as string;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(1024);
    const kept = Object.keys(await segmentOf(sid));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(kept.length - 1);
    for (const res of responses.filter((r) => r.status !== 200)) expectTooLarge(res);
  });
});
