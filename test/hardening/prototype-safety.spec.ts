import { modelOnMemory } from '../support/hardening-manager.js';
import { startSession } from '../support/hardening-scenarios.js';
import { appOnStore, storesFor } from '../support/hardening-stores.js';
import { ADAPTERS, type TestApp } from '../support/test-app.js';

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

      const all = await t
        .http()
        .get('/all')
        .query({ segs: NAMES.join(',') })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      const expected = NAMES.map((seg) => [
        seg,
        `{${NAMES.map((key) => `${JSON.stringify(key)}:${valueJson(seg, key)}`).join(',')}}`,
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

describe('prototype-like flash keys in the session model', () => {
  it('getAllFlash returns them as own keys, across requests', async () => {
    const before = prototypeSnapshot();
    const { request } = modelOnMemory();
    const first = request();
    const segment = first.manager.newSegment(NAMES[1]!);
    for (const key of NAMES) await segment.setFlash(key, { polluted: key });
    await first.manager.commit();
    const sid = /^sid=([^;]+)/.exec(first.exchange.cookies.get('sid')!)![1]!;

    const all = await request(`sid=${sid}`).manager.newSegment(NAMES[1]!).getAllFlash();
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
    expect(Object.keys(all).sort()).toEqual([...NAMES].sort());
    for (const key of NAMES) {
      expect(Object.getOwnPropertyDescriptor(all, key)?.value).toEqual({ polluted: key });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(before);
  });
});
