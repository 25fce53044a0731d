import type { GrowingChange } from '../../src/core/change-log.js';
import { SessionUnavailableError } from '../../src/core/errors.js';
import { SessionSegment, type SegmentHost } from '../../src/core/segment.js';
import { applyChange, type SessionChange } from '../../src/core/session-change.js';
import { newRecord, segmentState, type SessionRecord } from '../../src/core/session-record.js';

/** A session host over one in-memory record, logging the changes a segment asks for. */
class FakeHost implements SegmentHost {
  record: SessionRecord | undefined;
  readonly changes: SessionChange[] = [];
  readonly kept: string[] = [];

  constructor(
    withSession: boolean,
    readonly consumesFlash = true,
  ) {
    this.record = withSession ? newRecord(0) : undefined;
  }

  sessionForRead(): SessionRecord | undefined {
    return this.record;
  }

  sessionForWrite(): SessionRecord {
    return (this.record ??= newRecord(0));
  }

  change(change: SessionChange): void {
    applyChange(this.record!, change);
    this.changes.push(change);
  }

  changeWithinLimit(change: GrowingChange): void {
    this.change(change);
  }

  keepFlash(segment: string): void {
    this.kept.push(segment);
  }
}

function segmentOn(host: FakeHost, name = 'Vendor\\Package') {
  return new SessionSegment<Record<string, unknown>>(name, host);
}

describe('Segment', () => {
  it('reads the alternative when there is no session, and creates none', async () => {
    const host = new FakeHost(false);
    expect(await segmentOn(host).get('missing', 'alt')).toBe('alt');
    expect(await segmentOn(host).getAll()).toEqual({});
    expect(await segmentOn(host).hasFlash('f')).toBe(false);
    expect(host.record).toBeUndefined();
  });

  it('a write starts a session and stores a copy of the value', async () => {
    const host = new FakeHost(false);
    const cart = { items: ['a'] };
    await segmentOn(host).set('cart', cart);
    cart.items.push('b');
    expect(await segmentOn(host).get('cart')).toEqual({ items: ['a'] });
  });

  it('values handed out are copies: changing them does not change the session', async () => {
    const host = new FakeHost(true);
    const segment = segmentOn(host);
    await segment.set('cart', { items: ['a'] });
    await segment.setFlash('notice', { text: 'saved' });
    ((await segment.get('cart')) as { items: string[] }).items.push('x');
    ((await segment.getAll()).cart as { items: string[] }).items.push('y');
    expect(await segment.hasFlash('notice')).toBe(true);
    const stored = host.record!.segments.get('Vendor\\Package')!;
    const flash = stored.flash.get('notice');
    const read = (await segment.getFlash('notice')) as { text: string };
    read.text = 'changed';
    expect(flash).toEqual({ text: 'saved' });
    expect(await segment.get('cart')).toEqual({ items: ['a'] });
  });

  it('refuses what JSON cannot round-trip, naming the key, and changes nothing', async () => {
    const host = new FakeHost(true);
    // Typed unknown, as parsed input is: the compiler refuses a Date or a function itself.
    const date: unknown = new Date();
    const fn: unknown = () => 1;
    await expect(segmentOn(host).set('when', date)).rejects.toThrow(/"when"/);
    await expect(segmentOn(host).setFlash('fn', fn)).rejects.toThrow(TypeError);
    expect(host.changes).toEqual([]);
  });

  it.each([
    ['a Date', () => new Date()],
    ['a function', () => () => 1],
    ['an array holding undefined', () => [undefined, 1]],
  ])(
    'refuses a getter that answers %s once the check has read it, and changes nothing',
    async (_, later) => {
      const host = new FakeHost(true);
      let reads = 0;
      const tricky: unknown = {
        get g() {
          return reads++ === 0 ? 'x' : later();
        },
      };
      await expect(segmentOn(host).set('k', tricky)).rejects.toThrow(/"k" at k\.g/);
      reads = 0;
      await expect(segmentOn(host).setFlash('f', tricky)).rejects.toThrow(TypeError);
      expect(host.changes).toEqual([]);
    },
  );

  it('a write whose session cannot start rejects its promise; the call itself never throws', async () => {
    const host = new FakeHost(false);
    host.sessionForWrite = () => {
      throw new SessionUnavailableError();
    };
    const write = segmentOn(host).set('k', 1);
    await expect(write).rejects.toBeInstanceOf(SessionUnavailableError);
    expect(host.changes).toEqual([]);
  });

  it('get and set wait for a session the store is still loading, and pass on its failure', async () => {
    const host = new FakeHost(true);
    host.record!.segments.set('Vendor\\Package', segmentState(new Map([['n', 1]])));
    const sync = { read: host.sessionForRead.bind(host), write: host.sessionForWrite.bind(host) };
    host.sessionForRead = () => Promise.resolve(sync.read()) as never;
    host.sessionForWrite = () => Promise.resolve(sync.write()) as never;
    const segment = segmentOn(host);
    expect(await segment.get('n')).toBe(1);
    expect(await segment.get('absent', 'alt')).toBe('alt');
    await segment.set('n', 2);
    expect(host.changes).toEqual([{ kind: 'set', segment: 'Vendor\\Package', key: 'n', value: 2 }]);
    const down = new SessionUnavailableError();
    host.sessionForRead = () => Promise.reject(down) as never;
    host.sessionForWrite = () => Promise.reject(down) as never;
    await expect(segment.get('n')).rejects.toBe(down);
    await expect(segment.set('n', 3)).rejects.toBe(down);
    expect(host.changes).toHaveLength(1);
  });

  it('set and setFlash not awaited while the session loads store the value as it was at the call', async () => {
    const host = new FakeHost(true);
    const loaded = host.sessionForWrite();
    host.sessionForWrite = () => Promise.resolve(loaded) as never;
    const segment = segmentOn(host);
    const cart = { items: ['a'] as unknown[] };
    const flash = { text: 'saved' as unknown };
    const writes = [segment.set('cart', cart), segment.setFlash('notice', flash)];
    cart.items.push(new Date());
    flash.text = new Date();
    await Promise.all(writes);
    expect(await segment.get('cart')).toEqual({ items: ['a'] });
    expect(await segment.getFlash('notice')).toEqual({ text: 'saved' });
  });
  it('remove and clear of nothing record no change', async () => {
    const host = new FakeHost(true);
    await segmentOn(host).remove('absent');
    await segmentOn(host).clear();
    await segmentOn(host).clearFlash();
    expect(host.changes).toEqual([]);
  });

  it('segments with different names never see each other', async () => {
    const host = new FakeHost(true);
    await segmentOn(host, 'A').set('k', 1);
    expect(await segmentOn(host, 'B').get('k')).toBeUndefined();
    await segmentOn(host, 'B').clear();
    expect(await segmentOn(host, 'A').get('k')).toBe(1);
  });

  it('a flash value is read once; hasFlash does not consume it', async () => {
    const host = new FakeHost(true);
    const segment = segmentOn(host);
    await segment.setFlash('notice', 'saved');
    expect(await segment.hasFlash('notice')).toBe(true);
    expect(await segment.getFlash('notice')).toBe('saved');
    expect(await segment.getFlash('notice', 'none')).toBe('none');
  });

  it('a request that does not consume flash (HEAD, OPTIONS) leaves it there', async () => {
    const host = new FakeHost(true, false);
    const segment = segmentOn(host);
    await segment.setFlash('notice', 'saved');
    expect(await segment.getFlash('notice')).toBe('saved');
    expect(await segment.getFlash('notice')).toBe('saved');
  });

  it('setFlashNow is for this request only and is read once too', async () => {
    const host = new FakeHost(false);
    const segment = segmentOn(host);
    await segment.setFlashNow('now', 1);
    expect(await segment.getAllFlash()).toEqual({ now: 1 });
    expect(await segment.getFlash('now')).toBeUndefined();
    expect(host.record).toBeUndefined();
  });

  it('a setFlashNow value is handed out as a copy, also where reads do not consume it', async () => {
    const host = new FakeHost(false, false);
    const segment = segmentOn(host);
    await segment.setFlashNow('notice', { text: 'saved' });
    const first = await segment.getFlash<{ text: string }>('notice');
    first!.text = 'changed';
    expect(await segment.getFlash('notice')).toEqual({ text: 'saved' });
  });

  it('a setFlashNow value read over a stored flash of its key consumes the stored one too', async () => {
    const host = new FakeHost(true);
    const segment = segmentOn(host);
    await segment.setFlash('notice', 'older');
    await segment.setFlashNow('notice', 'newer');
    expect(await segment.getAllFlash()).toEqual({ notice: 'newer' });
    expect(await segment.hasFlash('notice')).toBe(false);
  });

  it.each([
    ['a number', 42],
    ['an array (a repeated query parameter)', ['a', 'b']],
    ['undefined', undefined],
  ])('refuses %s as a key with a TypeError, in every method, changing nothing', async (_, key) => {
    const host = new FakeHost(true);
    const segment = segmentOn(host);
    const k = key as unknown as string;
    for (const call of [
      () => segment.get(k),
      () => segment.set(k, 'x'),
      () => segment.remove(k),
      () => segment.setFlash(k, 'x'),
      () => segment.setFlashNow(k, 'x'),
      () => segment.getFlash(k),
      () => segment.hasFlash(k),
    ]) {
      await expect(call()).rejects.toThrow(/Session key must be a string/);
    }
    expect(host.changes).toEqual([]);
  });

  it('getAll and getAllFlash leave out a __proto__ key, which Object.assign would turn into a prototype', async () => {
    const host = new FakeHost(true);
    const segment = segmentOn(host);
    await segment.set('__proto__', { polluted: true });
    await segment.setFlash('__proto__', { polluted: true });
    const all = Object.assign({}, await segment.getAll());
    const flash = Object.assign({}, await segment.getAllFlash());
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(flash)).toBe(Object.prototype);
    expect(await segment.get('__proto__')).toEqual({ polluted: true });
  });

  it('keepFlash asks the session to keep this segment’s consumed flash values', async () => {
    const host = new FakeHost(true);
    await segmentOn(host, 'Flashy').keepFlash();
    expect(host.kept).toEqual(['Flashy']);
  });
});
