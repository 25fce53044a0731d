import { HardeningController } from '../support/hardening-controller.js';
import { startSession } from '../support/hardening-scenarios.js';
import { memoryStore } from '../support/hardening-stores.js';
import { gate } from '../support/hardening-sync.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';

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
