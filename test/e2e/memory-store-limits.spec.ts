import { Controller, Get, Param, Query } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../src/index.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type AdapterName,
  type TestApp,
} from '../support/apps/test-app.js';
import { gate } from '../support/timing/hardening-sync.js';

/**
 * The built-in memory store at its bounds: what a request answers is what was stored, and a
 * user who has just signed in (`regenerateId()`) keeps the session through a flood of
 * one-request sessions and a store nearly full.
 */

/** What a CSRF secret adds to a session: `memoryStoreMaxBytes` must hold `maxSize` and this. */
const CSRF_SECRET_BYTES = 53;

@Controller()
class LimitsController {
  @Get('put/:value')
  async put(@Segment('App') seg: Segment, @Param('value') value: string) {
    await seg.set('value', value);
    return { value };
  }

  /** Sets `blob` to `length` characters. */
  @Get('fill/:length')
  async fill(@Segment('App') seg: Segment, @Param('length') length: string) {
    await seg.set('blob', 'x'.repeat(Number(length)));
    return { ok: true };
  }

  @Get('get')
  async get(@Segment('App') seg: Segment) {
    return { value: (await seg.get('value')) ?? null };
  }

  /** Reads the session, waits at gate `gate`, then writes `other`: a request that ends late. */
  @Get('late/:value')
  async late(
    @Segment('App') seg: Segment,
    @Param('value') value: string,
    @Query('gate') name: string,
  ) {
    await seg.get('value');
    await gate(name).pass();
    await seg.set('other', value);
    return { ok: true };
  }

  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Get('check')
  async check(@Session() session: SessionManager, @Query('token') token: string) {
    return { valid: await session.isCsrfTokenValid(token) };
  }

  @Get('regenerate')
  async regenerate(@Session() session: SessionManager) {
    await session.regenerateId();
    return { ok: true };
  }

  /** Binds the session to `user`; with `commit=1`, commits in the handler. */
  @Get('bind')
  async bind(
    @Session() session: SessionManager,
    @Query('user') user: string,
    @Query('commit') commit?: string,
  ) {
    await session.bindUser(user);
    if (commit) await session.commit();
    return { user };
  }

  /** `regenerateId()` then `bindUser(user)`, as a login does. */
  @Get('login')
  async login(@Session() session: SessionManager, @Query('user') user: string) {
    await session.regenerateId();
    await session.bindUser(user);
    return { user };
  }

  @Get('whoami')
  async whoami(@Session() session: SessionManager) {
    return { user: (await session.getUserId()) ?? null };
  }
}

describe.each(ADAPTERS)('the memory store at its bounds (%s)', (adapter: AdapterName) => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });
  const start = async (options: object) => {
    const t = await createTestApp(adapter, options, [LimitsController]);
    apps.push(t);
    return t;
  };
  const read = async (t: TestApp, sid: string) =>
    (await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(200)).body.value as unknown;
  /** `count` visitors, ten at a time, each sending one request that starts a session. */
  const flood = async (t: TestApp, count: number) => {
    for (let first = 0; first < count; first += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t
            .http()
            .get(`/put/visitor${first + i}`)
            .expect(200),
        ),
      );
    }
  };
  /** A session used in two requests, as a user who came back, holding `value`. */
  const returning = async (t: TestApp, value: string) => {
    const sid = sidOf(await t.http().get(`/put/${value}`).expect(200))!;
    expect(await read(t, sid)).toBe(value);
    return sid;
  };

  describe('memoryStoreMaxBytes', () => {
    it('must hold maxSize and a CSRF secret: below that, the app does not start', async () => {
      await expect(
        start({ maxSize: 2048, memoryStoreMaxBytes: 2048 + CSRF_SECRET_BYTES - 1 }),
      ).rejects.toThrow(/"memoryStoreMaxBytes" must be at least 2101/);
      // Below the size of an empty session, the bound is that session and its secret.
      await expect(start({ maxSize: 1, memoryStoreMaxBytes: 124 })).rejects.toThrow(
        /"memoryStoreMaxBytes" must be at least 125/,
      );
    });

    it('at its least, stores the CSRF secret a full session gets', async () => {
      const maxSize = 2048;
      const t = await start({ maxSize, memoryStoreMaxBytes: maxSize + CSRF_SECRET_BYTES });
      const sid = sidOf(await t.http().get('/fill/1900').expect(200))!;
      let length = 1900;
      while (
        (
          await t
            .http()
            .get(`/fill/${length + 1}`)
            .set('Cookie', `sid=${sid}`)
        ).ok
      ) {
        length += 1;
      }
      const res = await t.http().get('/token').set('Cookie', `sid=${sid}`).expect(200);
      const check = await t
        .http()
        .get('/check')
        .query({ token: res.body.token })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      expect(check.body.valid).toBe(true);
    });

    it('at its least with a tiny maxSize, stores a new session and its CSRF secret', async () => {
      const t = await start({ maxSize: 1, memoryStoreMaxBytes: 125 });
      const res = await t.http().get('/token').expect(200);
      const sid = sidOf(res)!;
      const check = await t
        .http()
        .get('/check')
        .query({ token: res.body.token })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      expect(check.body.valid).toBe(true);
    });

    it("refuses a login whose user's index outgrows it with a 413, never a 200 that bound nothing", async () => {
      // Each session adds an entry of about 650 bytes, most of it the agent, to alice's index:
      // two entries and a session fit, a third entry does not.
      const t = await start({ maxSize: 1024, memoryStoreMaxBytes: 1800 });
      const agent = 'U'.repeat(500);
      const answers: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const res = await t.http().get('/bind?user=alice').set('User-Agent', agent);
        const sid = sidOf(res);
        const user = sid
          ? (await t.http().get('/whoami').set('Cookie', `sid=${sid}`).expect(200)).body.user
          : null;
        answers.push(`${res.status} ${user}`);
      }
      expect(answers).toEqual([
        '200 alice',
        '200 alice',
        '413 null',
        '413 null',
        '413 null',
        '413 null',
      ]);
      const committed = await t.http().get('/bind?user=alice&commit=1').set('User-Agent', agent);
      expect(committed.status).toBe(413);
      expect(committed.body.reason).toBe('session_too_large');
    });
  });

  describe('a session bound to a user, in a store too small for it and its index', () => {
    it.each([
      ['bindUser()', '/bind'],
      ['regenerateId() then bindUser()', '/login'],
    ])('%s keeps the user signed in and the session', async (_, path) => {
      const t = await start({ memoryStoreMaxSessions: 1 });
      const sid = await returning(t, 'cart');
      const res = await t.http().get(`${path}?user=alice`).set('Cookie', `sid=${sid}`).expect(200);
      expect(setCookieFor(res) ?? '').not.toMatch(/Max-Age=0/);
      const after = sidOf(res) ?? sid;
      expect(await read(t, after)).toBe('cart');
      const whoami = await t.http().get('/whoami').set('Cookie', `sid=${after}`).expect(200);
      expect(whoami.body).toEqual({ user: 'alice' });
    });
  });

  describe('regenerateId()', () => {
    const CAP = 100;

    it('keeps a session just regenerated through a flood of one-request sessions', async () => {
      const t = await start({ memoryStoreMaxSessions: CAP });
      const sid = await returning(t, 'user');
      const res = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const regenerated = sidOf(res)!;
      await flood(t, CAP * 2);
      expect(await read(t, regenerated)).toBe('user');
    });

    it('leaves a marker no flood evicts: a late request of the old id, after one, keeps the new cookie', async () => {
      const t = await start({ memoryStoreMaxSessions: CAP });
      const sid = await returning(t, 'user');
      const name = `late-after-flood-${adapter}`;
      const late = t
        .http()
        .get(`/late/x?gate=${name}`)
        .set('Cookie', `sid=${sid}`)
        .then((res) => res);
      await gate(name).arrived();
      const res = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const regenerated = sidOf(res)!;
      expect(await read(t, regenerated)).toBe('user');
      await flood(t, CAP * 2);
      gate(name).open();
      const lateRes = await late;
      expect(lateRes.status).toBe(200);
      expect(setCookieFor(lateRes)).toBeUndefined();
      expect(await read(t, regenerated)).toBe('user');
    });

    it('keeps the session when the store holds a single one (memoryStoreMaxSessions: 1)', async () => {
      const t = await start({ memoryStoreMaxSessions: 1 });
      const sid = await returning(t, 'mine');
      const res = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const regenerated = sidOf(res);
      expect(regenerated).toBeDefined();
      expect(regenerated).not.toBe(sid);
      expect(await read(t, regenerated!)).toBe('mine');
      expect(await read(t, sid)).toBeNull();
    });

    it('keeps a session larger than half of memoryStoreMaxBytes', async () => {
      const maxSize = 4096;
      const t = await start({ maxSize, memoryStoreMaxBytes: maxSize + CSRF_SECRET_BYTES });
      const sid = await returning(t, 'mine');
      await t.http().get('/fill/2400').set('Cookie', `sid=${sid}`).expect(200);
      const res = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const regenerated = sidOf(res);
      expect(regenerated).toBeDefined();
      expect(await read(t, regenerated!)).toBe('mine');
    });
  });
});
