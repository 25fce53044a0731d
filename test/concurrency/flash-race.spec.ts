import type { Response } from 'supertest';
import { HardeningController } from '../support/controllers/hardening-controller.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import { appOnStore, memoryStore, storesFor } from '../support/stores/hardening-stores.js';
import { gate } from '../support/timing/hardening-sync.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/apps/test-app.js';

let gates = 0;

describe.each(ADAPTERS)('flash values under concurrent requests (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: memoryStore().cache }, [HardeningController]);
  });
  afterAll(() => t.close());

  const withSid = (sid: string) => ({
    get: (path: string, query: Record<string, string>) =>
      t.http().get(path).query(query).set('Cookie', `sid=${sid}`),
  });

  async function sessionWithFlash(value: string): Promise<string> {
    const sid = await startSession(t);
    await withSid(sid)
      .get('/flash-set', { seg: 'F', key: 'msg', value: JSON.stringify(value) })
      .expect(200);
    return sid;
  }

  /** Sends a request that stops at a fresh gate once it loaded the session. */
  async function held(sid: string, path: string, query: Record<string, string>) {
    const name = `flash-${++gates}`;
    const pending = withSid(sid)
      .get(path, { ...query, gate: name })
      .then((res) => res);
    await gate(name).arrived();
    return () => {
      gate(name).open();
      return pending;
    };
  }

  it('a consumed flash stays consumed when a concurrent request commits after it', async () => {
    const sid = await sessionWithFlash('saved');
    const finishWriter = await held(sid, '/put', { seg: 'Other', key: 'b', value: '"B"' });
    const consumed = await withSid(sid).get('/flash-get', { seg: 'F', key: 'msg' }).expect(200);
    expect(consumed.body).toEqual({ found: true, value: 'saved' });
    expect((await finishWriter()).status).toBe(200);

    const has = await withSid(sid).get('/flash-has', { seg: 'F', key: 'msg' }).expect(200);
    expect(has.body).toEqual({ has: false });
    const other = await withSid(sid).get('/get', { seg: 'Other', key: 'b' }).expect(200);
    expect(other.body).toEqual({ found: true, value: 'B' });
  });

  it('a consumed flash stays consumed when a concurrent request commits before it', async () => {
    const sid = await sessionWithFlash('saved');
    const finishReader = await held(sid, '/flash-get', { seg: 'F', key: 'msg' });
    await withSid(sid).get('/put', { seg: 'Other', key: 'b', value: '"B"' }).expect(200);
    const consumed = await finishReader();
    expect(consumed.status).toBe(200);
    expect(consumed.body).toEqual({ found: true, value: 'saved' });

    const again = await withSid(sid).get('/flash-get', { seg: 'F', key: 'msg' }).expect(200);
    expect(again.body).toEqual({ found: false, value: null });
    const other = await withSid(sid).get('/get', { seg: 'Other', key: 'b' }).expect(200);
    expect(other.body).toEqual({ found: true, value: 'B' });
  });

  it('a newer flash set under the same key while an older one is read survives', async () => {
    const sid = await sessionWithFlash('first');
    const finishReader = await held(sid, '/flash-get', { seg: 'F', key: 'msg' });
    await withSid(sid).get('/flash-set', { seg: 'F', key: 'msg', value: '"second"' }).expect(200);
    expect((await finishReader()).body).toEqual({ found: true, value: 'first' });

    const next = await withSid(sid).get('/flash-get', { seg: 'F', key: 'msg' }).expect(200);
    expect(next.body).toEqual({ found: true, value: 'second' });
    const after = await withSid(sid).get('/flash-get', { seg: 'F', key: 'msg' }).expect(200);
    expect(after.body).toEqual({ found: false, value: null });
  });

  it('two readers that loaded before either committed: gone afterwards', async () => {
    const sid = await sessionWithFlash('once');
    const finishFirst = await held(sid, '/flash-get', { seg: 'F', key: 'msg' });
    const finishSecond = await held(sid, '/flash-get', { seg: 'F', key: 'msg' });
    const [first, second] = [await finishFirst(), await finishSecond()];
    expect(first.body).toEqual({ found: true, value: 'once' });
    // The second loaded the same snapshot: read-once is exact only between sequential requests.
    expect(second.status).toBe(200);
    const after = await withSid(sid).get('/flash-has', { seg: 'F', key: 'msg' }).expect(200);
    expect(after.body).toEqual({ has: false });
  });
});

const stores = storesFor('flash read-once under concurrent requests');

describe.each(ADAPTERS)('flash read by concurrent requests (%s)', (adapter) => {
  describe.each(stores)('%s store', (storeName, openStore) => {
    let t: TestApp;
    appOnStore(adapter, openStore, (_store, app) => {
      t = app;
    });

    const withSid = (sid: string, path: string, query: Record<string, string>) =>
      t.http().get(path).query(query).set('Cookie', `sid=${sid}`);

    it('three readers that all loaded before any committed all see it; afterwards it is gone', async () => {
      const sid = await startSession(t);
      await withSid(sid, '/flash-set', { seg: 'F', key: 'msg', value: '"once"' }).expect(200);

      const finishers: Array<() => Promise<Response>> = [];
      for (let i = 0; i < 3; i++) {
        const name = `flash-three-${adapter}-${storeName}-${i}`;
        const pending = withSid(sid, '/flash-get', { seg: 'F', key: 'msg', gate: name }).then(
          (res) => res,
        );
        await gate(name).arrived();
        finishers.push(() => {
          gate(name).open();
          return pending;
        });
      }
      const answers: Response[] = [];
      for (const finish of finishers) answers.push(await finish());

      // Each loaded the same snapshot, so each read it: read-once is exact between requests
      // that follow one another, not between requests that overlap.
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ found: true, value: 'once' });
      }
      const has = await withSid(sid, '/flash-has', { seg: 'F', key: 'msg' }).expect(200);
      expect(has.body).toEqual({ has: false });
      const later = await withSid(sid, '/flash-get', { seg: 'F', key: 'msg' }).expect(200);
      expect(later.body).toEqual({ found: false, value: null });
    });
  });
});
