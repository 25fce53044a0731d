import {
  BadRequestException,
  Controller,
  Get,
  Logger,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { jest } from '@jest/globals';
import { from, map, Observable, of } from 'rxjs';
import { Segment } from '../../src/index.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { commitTimingStores } from '../support/stores/commit-timing-stores.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

const SEG = 'App\\Events';
type Values = { step: string };

@Controller('sse')
class EventsController {
  @Get('start')
  async start(@Segment(SEG) seg: Segment<Values>) {
    await seg.set('step', 'start');
    return { ok: true };
  }

  @Get('read')
  async read(@Segment(SEG) seg: Segment<Values>) {
    return { step: (await seg.get('step')) ?? null };
  }

  @Sse('written')
  async written(@Segment(SEG) seg: Segment<Values>): Promise<Observable<MessageEvent>> {
    await seg.set('step', 'written before the stream');
    return of({ data: 'first' }, { data: 'second' });
  }

  @Sse('read-only')
  async readOnly(@Segment(SEG) seg: Segment<Values>): Promise<Observable<MessageEvent>> {
    const step = (await seg.get('step')) ?? 'none';
    return of({ data: step });
  }

  // The write happens once the stream has sent its first event, so its headers are out.
  @Sse('written-while-streaming')
  whileStreaming(@Segment(SEG) seg: Segment<Values>): Observable<MessageEvent> {
    return new Observable<MessageEvent>((out) => {
      out.next({ data: 'first' });
      seg.set('step', 'written while streaming').then(
        () => {
          out.next({ data: 'saved' });
          out.complete();
        },
        (error: unknown) => out.error(error),
      );
    });
  }

  // The write starts in the handler and ends once the stream is subscribed to: on a store that
  // answers over the network, after Nest has sent the stream's headers.
  @Sse('written-by-the-stream')
  writtenByTheStream(@Segment(SEG) seg: Segment<Values>): Observable<MessageEvent> {
    return from(seg.set('step', 'written by the stream')).pipe(map(() => ({ data: 'saved' })));
  }

  @Sse('refused')
  async refused(@Segment(SEG) seg: Segment<Values>): Promise<Observable<MessageEvent>> {
    await seg.set('step', 'refused');
    throw new BadRequestException('Not now');
  }
}

const eventsOf = (text: string) => [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);

const STORES = commitTimingStores('@Sse() routes on Redis');

describe.each(ADAPTERS)('@Sse() routes on %s', (adapter) => {
  describe.each(STORES)('$name', ({ options }) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(adapter, options(), [EventsController]);
    });
    afterAll(() => t.close());

    const read = async (sid: string) =>
      (await t.http().get('/sse/read').set('Cookie', `sid=${sid}`).expect(200)).body.step;

    it('stores a session started by the handler and sends its cookie with the stream', async () => {
      const res = await t.http().get('/sse/written').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(eventsOf(res.text)).toEqual(['first', 'second']);
      // Private for the cookie, and still not to be compressed or buffered by a proxy.
      expect(res.headers['cache-control']).toBe('private, no-store, no-transform');
      const sid = sidOf(res)!;
      expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await read(sid)).toBe('written before the stream');
    });

    it('saves a write to an existing session, without a new cookie', async () => {
      const sid = sidOf(await t.http().get('/sse/start').expect(200))!;
      const res = await t.http().get('/sse/written').set('Cookie', `sid=${sid}`).expect(200);
      expect(eventsOf(res.text)).toEqual(['first', 'second']);
      expect(setCookieFor(res)).toBeUndefined();
      expect(await read(sid)).toBe('written before the stream');
    });

    it('streams a read-only session without a cookie', async () => {
      const sid = sidOf(await t.http().get('/sse/start').expect(200))!;
      const res = await t.http().get('/sse/read-only').set('Cookie', `sid=${sid}`).expect(200);
      expect(eventsOf(res.text)).toEqual(['start']);
      expect(setCookieFor(res)).toBeUndefined();
    });

    it('saves a write made while the stream runs, when the stream ends', async () => {
      const sid = sidOf(await t.http().get('/sse/start').expect(200))!;
      const res = await t
        .http()
        .get('/sse/written-while-streaming')
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      expect(eventsOf(res.text)).toEqual(['first', 'saved']);
      expect(await read(sid)).toBe('written while streaming');
    });

    it.each([
      ['a new session', false],
      ['an existing session', true],
    ])('saves a write that the stream awaits, on %s, and the app goes on', async (_, existing) => {
      const sid = existing ? sidOf(await t.http().get('/sse/start').expect(200)) : undefined;
      const req = t.http().get('/sse/written-by-the-stream');
      const res = await (sid ? req.set('Cookie', `sid=${sid}`) : req).expect(200);
      expect(eventsOf(res.text)).toEqual(['saved']);
      expect(res.text).not.toMatch(/statusCode/);
      const stored = sid ?? sidOf(res)!;
      expect(await read(stored)).toBe('written by the stream');
      await t.http().get('/sse/read').set('Cookie', `sid=${stored}`).expect(200);
    });

    it('answers an exception with one session cookie and keeps the write', async () => {
      const res = await t.http().get('/sse/refused').expect(400);
      expect(res.body.message).toBe('Not now');
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      expect(cookies).toHaveLength(1);
      expect(await read(sidOf(res)!)).toBe('refused');
    });
  });

  describe('store failing', () => {
    const { cache, state } = switchableCache();
    let t: TestApp;
    let warnings: string[];
    beforeAll(async () => {
      t = await createTestApp(adapter, { store: cache }, [EventsController]);
    });
    afterAll(() => t.close());
    beforeEach(() => {
      // A warning repeated within 10 s is only counted: each test's own warnings start afresh.
      t.app.get(SessionRuntime).logger.flush?.();
      warnings = [];
      jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
        warnings.push(String(message));
      });
    });
    afterEach(() => {
      state.writesDown = false;
      jest.restoreAllMocks();
    });

    it('answers 503 instead of the stream when the write cannot be saved', async () => {
      const sid = sidOf(await t.http().get('/sse/start').expect(200))!;
      state.writesDown = true;
      const res = await t.http().get('/sse/written').set('Cookie', `sid=${sid}`).expect(503);
      expect(res.body.reason).toBe('session_store_unavailable');
      expect(res.text).not.toMatch(/^data:/m);
      expect(setCookieFor(res)).toBeUndefined();
      expect(warnings).toContainEqual(expect.stringMatching(/unavailable/i));
      state.writesDown = false;
      expect((await t.http().get('/sse/read').set('Cookie', `sid=${sid}`)).body.step).toBe('start');
    });

    it('answers 503 once when the handler throws and the write cannot be saved', async () => {
      const sid = sidOf(await t.http().get('/sse/start').expect(200))!;
      state.writesDown = true;
      const res = await t.http().get('/sse/refused').set('Cookie', `sid=${sid}`).expect(503);
      expect(res.body.reason).toBe('session_store_unavailable');
      expect(setCookieFor(res)).toBeUndefined();
      expect(warnings.filter((w) => /unavailable/i.test(w))).toHaveLength(1);
      state.writesDown = false;
      expect((await t.http().get('/sse/read').set('Cookie', `sid=${sid}`)).body.step).toBe('start');
    });
  });
});
