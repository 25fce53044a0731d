import { modelOnMemory } from '../support/model/hardening-manager.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function cycle(): object {
  const node: Record<string, unknown> = { name: 'a' };
  node.self = node;
  return node;
}

const rejected: Array<[string, () => unknown]> = [
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('s')],
  ['a BigInt', () => BigInt(1)],
  ['a Map', () => new Map([['a', 1]])],
  ['a Set', () => new Set([1])],
  ['a class instance', () => new Point(1, 2)],
  ['a Date', () => new Date(0)],
  ['a cycle', cycle],
  ['undefined', () => undefined],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['a Date nested in an object', () => ({ when: { at: new Date(0) } })],
  ['a function nested in an array', () => [1, () => 2]],
  ['undefined nested in an array', () => ({ list: [1, undefined] })],
  ['a symbol-keyed property', () => ({ [Symbol('k')]: 1 })],
];

describe('values that JSON cannot round-trip', () => {
  it.each(rejected)('set rejects %s with a TypeError naming the key', async (_what, make) => {
    const { store, request } = modelOnMemory();
    const { manager } = request();
    const segment = manager.newSegment<Record<string, unknown>>('App\\Values');
    const set = segment.set('the-key', make());
    await expect(set).rejects.toThrow(TypeError);
    await expect(set).rejects.toThrow(/the-key/);
    await manager.commit();
    expect(store.calls.set).toBe(0);
    expect(await segment.get('the-key')).toBeUndefined();
  });

  it.each(rejected)('setFlash rejects %s with a TypeError naming the key', async (_what, make) => {
    const { store, request } = modelOnMemory();
    const { manager } = request();
    const segment = manager.newSegment('App\\Values');
    const set = segment.setFlash('flash-key', make());
    await expect(set).rejects.toThrow(TypeError);
    await expect(set).rejects.toThrow(/flash-key/);
    await manager.commit();
    expect(store.calls.set).toBe(0);
  });

  it('stores an object without its properties left undefined, as JSON does (a DTO spread)', async () => {
    const { request } = modelOnMemory();
    const first = request();
    const segment = first.manager.newSegment<Record<string, unknown>>('App\\Values');
    // What `{ ...dto }` gives for a DTO whose optional field the client left out.
    const form = { name: 'Ann', note: undefined, address: { city: 'Oslo', zip: undefined } };
    await segment.set('form', form);
    await segment.setFlash('sent', { ok: true, warning: undefined });
    expect(await segment.get('form')).toEqual({ name: 'Ann', address: { city: 'Oslo' } });
    await first.manager.commit();
    const sid = /^sid=([^;]+)/.exec(first.exchange.cookies.get('sid')!)![1]!;

    const later = request(`sid=${sid}`).manager.newSegment('App\\Values');
    const stored = (await later.get('form')) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(['name', 'address']);
    expect(Object.keys(stored.address as object)).toEqual(['city']);
    expect(await later.getFlash('sent')).toEqual({ ok: true });
  });

  it('keeps earlier writes of the request when a later value is rejected', async () => {
    const { store, request } = modelOnMemory();
    const first = request();
    const segment = first.manager.newSegment<Record<string, unknown>>('App\\Values');
    const good = { list: [1, 'two', null, true], nested: { n: -1.5 } };
    await segment.set('good', good);
    const date: unknown = new Date(0);
    await expect(segment.set('bad', date)).rejects.toThrow(/"bad"/);
    await first.manager.commit();
    expect(store.calls.set).toBe(1);
    const sid = /^sid=([^;]+)/.exec(first.exchange.cookies.get('sid')!)![1]!;

    const later = request(`sid=${sid}`).manager.newSegment('App\\Values');
    expect(await later.getAll()).toEqual({ good });
  });
});
