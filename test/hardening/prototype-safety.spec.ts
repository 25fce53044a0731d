import { modelOnMemory } from '../support/model/hardening-manager.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import { appOnStore, storesFor } from '../support/stores/hardening-stores.js';
import { ADAPTERS, type TestApp } from '../support/apps/test-app.js';
import type { Segment } from '../../src/index.js';

const NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty'];

const stores = storesFor('prototype safety');

/** JSON text of the value stored under `seg`/`key`: it carries its own `__proto__` key too. */
function valueJson(seg: string, key: string): string {
  return `{"at":${JSON.stringify(`${seg}/${key}`)},"__proto__":{"polluted":"deep"}}`;
}

function prototypeSnapshot() {
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    func: Object.getOwnPropertyNames(Function.prototype).sort(),
  };
}

describe.each(ADAPTERS)('prototype-like segment names and keys (%s)', (adapter) => {
  describe.each(stores)('%s store', (_name, openStore) => {
    let t: TestApp;
    const before = prototypeSnapshot();
    appOnStore(adapter, openStore, (_store, app) => {
      t = app;
    });

    it('are ordinary names: they round-trip through the store and pollute nothing', async () => {
      const sid = await startSession(t);
      for (const seg of NAMES) {
        for (const key of NAMES) {
          await t
            .http()
            .get('/put')
            .query({ seg, key, value: valueJson(seg, key) })
            .set('Cookie', `sid=${sid}`)
            .expect(200);
        }
      }

      // getAll leaves a __proto__ key out; get('__proto__') below still reads it.
      const all = await t
        .http()
        .get('/all')
        .query({ segs: NAMES.join(',') })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      const expected = NAMES.map((seg) => [
        seg,
        `{${NAMES.filter((key) => key !== '__proto__')
          .map((key) => `${JSON.stringify(key)}:${valueJson(seg, key)}`)
          .join(',')}}`,
      ]);
      const pairs = all.body.pairs as Array<[string, unknown]>;
      expect(pairs.map(([seg, values]) => [seg, JSON.stringify(values)])).toEqual(expected);

      for (const seg of NAMES) {
        for (const key of NAMES) {
          const res = await t
            .http()
            .get('/get')
            .query({ seg, key })
            .set('Cookie', `sid=${sid}`)
            .expect(200);
          expect(res.body.found).toBe(true);
          expect(JSON.stringify(res.body.value)).toBe(valueJson(seg, key));
          expect(Object.getPrototypeOf(res.body.value)).toBe(Object.prototype);
        }
      }

      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).at).toBeUndefined();
      expect(prototypeSnapshot()).toEqual(before);
    });

    it('reads of absent prototype-like keys find nothing', async () => {
      const sid = await startSession(t);
      for (const key of [...NAMES, 'toString', 'valueOf']) {
        const res = await t
          .http()
          .get('/get')
          .query({ seg: 'Init', key })
          .set('Cookie', `sid=${sid}`)
          .expect(200);
        expect(res.body).toEqual({ found: false, value: null });
      }
      const res = await t
        .http()
        .get('/all')
        .query({ segs: NAMES.join(',') })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      expect(res.text).toBe(`{"id":"${sid}","pairs":${JSON.stringify(NAMES.map((n) => [n, {}]))}}`);
    });
  });
});

describe('prototype-like keys in getAll and getAllFlash', () => {
  /** Writes with `write` in one request; the result opens the same segment in a later one. */
  async function storedSession(write: (segment: Segment) => Promise<void>) {
    const { request } = modelOnMemory();
    const first = request();
    await write(first.manager.newSegment(NAMES[1]!));
    await first.manager.commit();
    const sid = /^sid=([^;]+)/.exec(first.exchange.cookies.get('sid')!)![1]!;
    return () => request(`sid=${sid}`).manager.newSegment(NAMES[1]!);
  }

  it('getAll leaves __proto__ out, so Object.assign cannot swap a prototype', async () => {
    const before = prototypeSnapshot();
    const next = await storedSession(async (segment) => {
      for (const key of NAMES) await segment.set(key, { polluted: key });
    });
    const segment = next();
    const all = await segment.getAll();
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
    expect(Object.keys(all).sort()).toEqual(NAMES.filter((k) => k !== '__proto__').sort());
    const assigned = Object.assign({}, all);
    expect(Object.getPrototypeOf(assigned)).toBe(Object.prototype);
    expect((assigned as Record<string, unknown>).polluted).toBeUndefined();
    expect(await segment.get('__proto__')).toEqual({ polluted: '__proto__' });
    expect(prototypeSnapshot()).toEqual(before);
  });

  it('getAllFlash leaves __proto__ out and unread; the others are own keys, read once', async () => {
    const before = prototypeSnapshot();
    const next = await storedSession(async (segment) => {
      for (const key of NAMES) await segment.setFlash(key, { polluted: key });
    });
    const segment = next();
    const all = await segment.getAllFlash();
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
    expect(Object.keys(all).sort()).toEqual(NAMES.filter((k) => k !== '__proto__').sort());
    for (const key of NAMES.filter((k) => k !== '__proto__')) {
      expect(Object.getOwnPropertyDescriptor(all, key)?.value).toEqual({ polluted: key });
    }
    const assigned = Object.assign({}, all);
    expect(Object.getPrototypeOf(assigned)).toBe(Object.prototype);
    expect(await segment.getAllFlash()).toEqual({});
    expect(await segment.getFlash('__proto__')).toEqual({ polluted: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(before);
  });
});
