import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { barrier, HardeningController } from '../support/controllers/hardening-controller.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
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
    // Warnings alike are counted for 10 s, not repeated: each test's own start afresh.
    t.app.get(SessionRuntime).logger.flush?.();
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

  it('counts the flash values keepFlash() keeps: a write they take past maxSize is refused', async () => {
    const sid = sidOf(await put('fill', 'z'.repeat(380)).expect(200))!;
    await t
      .http()
      .get('/flash-set')
      .query({ seg: SEGMENT, key: 'F', value: JSON.stringify('f'.repeat(500)) })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    const res = await t
      .http()
      .get('/flash-get-put-keep')
      .query({ seg: SEGMENT, flash: 'F', key: 'k2', value: JSON.stringify('y'.repeat(400)) })
      .set('Cookie', `sid=${sid}`);
    expectTooLarge(res);
    const stored = (await store.readRaw(storeKeyOf(sid))) as string;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(1024);
    expect(await segmentOf(sid)).toEqual({ fill: 'z'.repeat(380) });
    const has = await t
      .http()
      .get('/flash-has')
      .query({ seg: SEGMENT, key: 'F' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(has.body).toEqual({ has: true });
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

describe.each(ADAPTERS)('maxSize with the CSRF secret and the user binding (%s)', (adapter) => {
  const maxSize = 300;
  const store = memoryStore();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: store.cache, maxSize }, [
      HardeningController,
      CsrfTestController,
      RegistryController,
    ]);
  });
  afterAll(() => t.close());
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  const get = (path: string, query: Record<string, string>, sid: string) =>
    t.http().get(path).query(query).set('Cookie', `sid=${sid}`);
  const put = (key: string, value: string, sid: string) =>
    get('/put', { seg: SEGMENT, key, value: JSON.stringify(value) }, sid);
  const storedBytes = async (sid: string) =>
    Buffer.byteLength(((await store.readRaw(storeKeyOf(sid))) as string | undefined) ?? '');

  /** A session filled with 8-character values until the next one is refused. */
  async function fullSession(): Promise<string> {
    const first = await t
      .http()
      .get('/put')
      .query({ seg: SEGMENT, key: 'k0', value: JSON.stringify('xxxxxxxx') })
      .expect(200);
    const sid = sidOf(first)!;
    for (let n = 1; (await put(`k${n}`, 'xxxxxxxx', sid)).status === 200; n++);
    return sid;
  }

  it('hands out a CSRF token on a full session, then takes a same-size replacement and a removal but refuses growth', async () => {
    const sid = await fullSession();
    const token = await get('/csrf/token', {}, sid).expect(200);
    expect(typeof token.body.token).toBe('string');
    await put('k0', 'yyyyyyyy', sid).expect(200);
    await get('/remove', { seg: SEGMENT, key: 'k1' }, sid).expect(200);
    const grow = await put('k1', 'xxxxxxxx', sid);
    expect(grow.status).toBe(413);
    expect(grow.body.reason).toBe('session_too_large');
    const pairs = (await get('/all', { segs: SEGMENT }, sid).expect(200)).body.pairs[0][1];
    expect(pairs.k0).toBe('yyyyyyyy');
    expect(pairs).not.toHaveProperty('k1');
  });

  it('refuses bindUser on a full session with a 413 and stores no binding', async () => {
    const sid = await fullSession();
    const res = await get('/users/bind', { user: 'u'.repeat(256) }, sid);
    expect(res.status).toBe(413);
    expect(res.body.reason).toBe('session_too_large');
    expect((await get('/users/whoami', {}, sid).expect(200)).body).toEqual({ user: null });
    expect(await storedBytes(sid)).toBeLessThanOrEqual(maxSize);
  });
});
