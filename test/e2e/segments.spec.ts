import { Body, Controller, Delete, Get, Injectable, Param, Post, Scope } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { peekSession } from '../support/stores/core-store.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const SHARED = 'Vendor\\Package\\ClassName';

type Shared = { user: string; obj: { list: number[] } };

/** A singleton service that is handed the request's manager. */
@Injectable()
class SharedReader {
  read(session: SessionManager): Promise<string | undefined> {
    return session.newSegment<Shared>(SHARED).get('user');
  }
}

/** A request-scoped service that injects the manager itself. */
@Injectable({ scope: Scope.REQUEST })
class ScopedSharedReader {
  constructor(private readonly session: SessionManager) {}

  read(): Promise<string | undefined> {
    return this.session.newSegment<Shared>(SHARED).get('user');
  }

  write(user: string): Promise<void> {
    return this.session.newSegment<Shared>(SHARED).set('user', user);
  }
}

@Controller('seg')
class SegmentController {
  @Post(':name/:key')
  async set(
    @Session() session: SessionManager,
    @Param('name') name: string,
    @Param('key') key: string,
    @Body() body: { value: unknown },
  ) {
    await session.newSegment(name).set(key, body.value);
    return { ok: true };
  }

  @Get(':name/:key')
  async get(
    @Session() session: SessionManager,
    @Param('name') name: string,
    @Param('key') key: string,
  ) {
    const value = await session.newSegment(name).get(key);
    return { found: value !== undefined, value: value ?? null };
  }

  @Delete(':name/:key')
  async remove(
    @Session() session: SessionManager,
    @Param('name') name: string,
    @Param('key') key: string,
  ) {
    await session.newSegment(name).remove(key);
    return { ok: true };
  }

  @Delete(':name')
  async clear(@Session() session: SessionManager, @Param('name') name: string) {
    await session.newSegment(name).clear();
    return { ok: true };
  }

  @Get(':name')
  async getAll(@Session() session: SessionManager, @Param('name') name: string) {
    const all = await session.newSegment(name).getAll();
    return {
      entries: Object.entries(all),
      plainPrototype: Object.getPrototypeOf(all) === Object.prototype,
    };
  }
}

@Controller('shared')
class SharedController {
  constructor(
    private readonly reader: SharedReader,
    private readonly scoped: ScopedSharedReader,
  ) {}

  @Get('decorator-write')
  async decoratorWrite(@Segment(SHARED) seg: Segment<Shared>) {
    await seg.set('user', 'alice');
    return { ok: true };
  }

  @Get('read-everywhere')
  async readEverywhere(@Segment(SHARED) seg: Segment<Shared>, @Session() session: SessionManager) {
    return {
      decorator: await seg.get('user'),
      manager: await session.newSegment<Shared>(SHARED).get('user'),
      service: await this.reader.read(session),
      scoped: await this.scoped.read(),
    };
  }

  @Get('manager-write')
  async managerWrite(@Session() session: SessionManager) {
    await session.newSegment<Shared>(SHARED).set('user', 'bob');
    return { ok: true };
  }

  @Get('service-write')
  async serviceWrite() {
    await this.scoped.write('carol');
    return { ok: true };
  }

  @Get('same-request')
  async sameRequest(@Segment(SHARED) seg: Segment<Shared>, @Session() session: SessionManager) {
    await seg.set('user', 'dave');
    const viaManager = await session.newSegment<Shared>(SHARED).get('user');
    await this.scoped.write('erin');
    return {
      viaManager,
      viaService: await this.reader.read(session),
      viaDecorator: await seg.get('user'),
    };
  }

  @Get('not-json')
  async notJson(@Segment(SHARED) seg: Segment<Record<string, unknown>>) {
    const errors: string[] = [];
    for (const value of [() => 1, new Map(), 1n, new Date(0), undefined]) {
      try {
        await seg.set('cart', value as unknown);
      } catch (error) {
        errors.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    return { errors, all: await seg.getAll() };
  }

  @Get('copies')
  async copies(@Segment(SHARED) seg: Segment<Shared>) {
    const original = { list: [1] };
    await seg.set('obj', original);
    original.list.push(2);
    (await seg.get('obj'))!.list.push(3);
    const all = await seg.getAll();
    all.obj!.list.push(4);
    (all as Record<string, unknown>).extra = true;
    return { obj: await seg.get('obj'), all: await seg.getAll() };
  }
}

describe.each(ADAPTERS)('segments (%s)', (adapter) => {
  let t: TestApp;
  const { cache, keyv } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(
      adapter,
      { store: cache, csrf: false },
      [SegmentController, SharedController],
      [SharedReader, ScopedSharedReader],
    );
  });
  afterAll(() => t.close());

  /** A fresh session with `values` written to segment `name`; returns its Cookie header. */
  async function sessionWith(name: string, values: Record<string, unknown>, cookie?: string) {
    for (const [key, value] of Object.entries(values)) {
      const req = t.http().post(`/seg/${encodeURIComponent(name)}/${encodeURIComponent(key)}`);
      if (cookie) req.set('Cookie', cookie);
      const res = await req.send({ value }).expect(201);
      cookie ??= `sid=${sidOf(res)!}`;
    }
    return cookie!;
  }

  function get(cookie: string, name: string, key?: string) {
    const path = `/seg/${encodeURIComponent(name)}${key === undefined ? '' : `/${encodeURIComponent(key)}`}`;
    return t.http().get(path).set('Cookie', cookie).expect(200);
  }

  describe('isolation', () => {
    it('never shows one segment the keys of another', async () => {
      const cookie = await sessionWith('App\\A', { k: 'from A', onlyA: 1 });
      await sessionWith('App\\B', { k: 'from B' }, cookie);
      expect((await get(cookie, 'App\\A', 'k')).body).toEqual({ found: true, value: 'from A' });
      expect((await get(cookie, 'App\\B', 'k')).body).toEqual({ found: true, value: 'from B' });
      expect((await get(cookie, 'App\\B', 'onlyA')).body).toEqual({ found: false, value: null });
      expect((await get(cookie, 'App\\B')).body.entries).toEqual([['k', 'from B']]);
      expect((await get(cookie, 'App\\A\\Sub')).body.entries).toEqual([]);
    });

    it('keeps the other segments intact when one segment is cleared', async () => {
      const cookie = await sessionWith('App\\A', { a1: 1, a2: 2 });
      await sessionWith('App\\B', { b: 'kept' }, cookie);
      await t.http().delete('/seg/App%5CA').set('Cookie', cookie).expect(200);
      expect((await get(cookie, 'App\\A')).body.entries).toEqual([]);
      expect((await get(cookie, 'App\\B')).body.entries).toEqual([['b', 'kept']]);
    });
  });

  describe('sharing', () => {
    it('refuses to build an injected manager outside any request, saying why', async () => {
      await expect(t.app.resolve(ScopedSharedReader)).rejects.toThrow(
        /No session here: an injected SessionManager needs an HTTP request behind it, and Nest resolved it outside any request/,
      );
    });

    it('shows a write made through the decorator to the manager and to services', async () => {
      const res = await t.http().get('/shared/decorator-write').expect(200);
      const cookie = `sid=${sidOf(res)!}`;
      const read = await t.http().get('/shared/read-everywhere').set('Cookie', cookie).expect(200);
      expect(read.body).toEqual({
        decorator: 'alice',
        manager: 'alice',
        service: 'alice',
        scoped: 'alice',
      });
    });

    it('shows a write made through session.newSegment to the decorator and to services', async () => {
      const res = await t.http().get('/shared/manager-write').expect(200);
      const cookie = `sid=${sidOf(res)!}`;
      const read = await t.http().get('/shared/read-everywhere').set('Cookie', cookie).expect(200);
      expect(read.body).toEqual({
        decorator: 'bob',
        manager: 'bob',
        service: 'bob',
        scoped: 'bob',
      });
    });

    it('shows a write made by a request-scoped service to the decorator and the manager', async () => {
      const res = await t.http().get('/shared/service-write').expect(200);
      const cookie = `sid=${sidOf(res)!}`;
      const read = await t.http().get('/shared/read-everywhere').set('Cookie', cookie).expect(200);
      expect(read.body).toEqual({
        decorator: 'carol',
        manager: 'carol',
        service: 'carol',
        scoped: 'carol',
      });
    });

    it('shares one segment name across decorator, manager and service within one request', async () => {
      const res = await t.http().get('/shared/same-request').expect(200);
      expect(res.body).toEqual({ viaManager: 'dave', viaService: 'erin', viaDecorator: 'erin' });
      const read = await t
        .http()
        .get('/shared/read-everywhere')
        .set('Cookie', `sid=${sidOf(res)!}`)
        .expect(200);
      expect(read.body.decorator).toBe('erin');
    });
  });

  describe('get, set, remove, clear, getAll', () => {
    it('returns the alt value only when the key is missing', async () => {
      const cookie = await sessionWith('App\\Values', { zero: 0, empty: '', no: false, nil: null });
      for (const key of ['zero', 'empty', 'no', 'nil']) {
        expect((await get(cookie, 'App\\Values', key)).body.found).toBe(true);
      }
      expect((await get(cookie, 'App\\Values', 'missing')).body.found).toBe(false);
      expect((await get(cookie, 'App\\Values')).body.entries).toEqual([
        ['zero', 0],
        ['empty', ''],
        ['no', false],
        ['nil', null],
      ]);
    });

    it('overwrites a key and round-trips nested JSON values', async () => {
      const value = { a: [1, 'two', { three: true }], b: null, c: 1.5 };
      const cookie = await sessionWith('App\\Values', { k: 'first' });
      await sessionWith('App\\Values', { k: value }, cookie);
      expect((await get(cookie, 'App\\Values', 'k')).body).toEqual({ found: true, value });
    });

    it('removes one key only', async () => {
      const cookie = await sessionWith('App\\Values', { gone: 1, stays: 2 });
      await sessionWith('App\\Other', { gone: 'other' }, cookie);
      await t.http().delete('/seg/App%5CValues/gone').set('Cookie', cookie).expect(200);
      expect((await get(cookie, 'App\\Values')).body.entries).toEqual([['stays', 2]]);
      expect((await get(cookie, 'App\\Other', 'gone')).body.value).toBe('other');
    });

    it('refuses values JSON cannot round-trip with a TypeError naming the key, storing nothing', async () => {
      const res = await t.http().get('/shared/not-json').expect(200);
      expect(res.body.errors).toHaveLength(5);
      for (const error of res.body.errors) expect(error).toMatch(/^TypeError: .*"cart"/);
      expect(res.body.all).toEqual({});
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('hands out copies: mutating what set took or what get/getAll returned changes nothing', async () => {
      const res = await t.http().get('/shared/copies').expect(200);
      expect(res.body).toEqual({ obj: { list: [1] }, all: { obj: { list: [1] } } });
      const stored = await peekSession(keyv, sidOf(res)!);
      expect(stored?.segments[SHARED]?.values).toEqual({ obj: { list: [1] } });
    });
  });

  describe('keys and names that look like prototype members', () => {
    const SPECIAL = ['__proto__', 'constructor', 'prototype'];

    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('reads them as missing before they are set', async () => {
      const cookie = await sessionWith('App\\Proto', { other: 1 });
      for (const key of [...SPECIAL, 'toString', 'hasOwnProperty']) {
        expect((await get(cookie, 'App\\Proto', key)).body).toEqual({ found: false, value: null });
      }
      for (const name of SPECIAL) {
        expect((await get(cookie, name)).body.entries).toEqual([]);
      }
    });

    it('stores them as ordinary keys without polluting any prototype', async () => {
      const cookie = await sessionWith('App\\Proto', {
        ['__proto__']: { polluted: 'yes' },
        constructor: { prototype: { polluted: 'yes' } },
        prototype: 'plain',
      });
      expect((await get(cookie, 'App\\Proto', '__proto__')).body).toEqual({
        found: true,
        value: { polluted: 'yes' },
      });
      expect((await get(cookie, 'App\\Proto', 'constructor')).body.value).toEqual({
        prototype: { polluted: 'yes' },
      });
      expect((await get(cookie, 'App\\Proto', 'prototype')).body.value).toBe('plain');
      const all = await get(cookie, 'App\\Proto');
      expect(all.body.plainPrototype).toBe(true);
      // getAll leaves __proto__ out: Object.assign would treat it as a prototype.
      expect(all.body.entries.map(([key]: [string]) => key).sort()).toEqual(
        ['constructor', 'prototype'].sort(),
      );
    });

    it('uses them as segment names that stay apart from each other', async () => {
      let cookie: string | undefined;
      for (const name of SPECIAL) {
        cookie = await sessionWith(name, { polluted: `in ${name}` }, cookie);
      }
      for (const name of SPECIAL) {
        expect((await get(cookie!, name)).body.entries).toEqual([['polluted', `in ${name}`]]);
      }
      expect((await get(cookie!, 'toString')).body.entries).toEqual([]);
      const stored = await peekSession(keyv, cookie!.slice('sid='.length));
      expect(Object.keys(stored!.segments).sort()).toEqual([...SPECIAL].sort());
    });
  });
});
