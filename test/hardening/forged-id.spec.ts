import { HardeningController } from '../support/controllers/hardening-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { forgedId } from '../support/http/hardening-ids.js';
import { memoryStore } from '../support/stores/hardening-stores.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

describe.each(ADAPTERS)('a forged, well-formed session id (%s)', (adapter) => {
  const store = memoryStore();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: store.cache }, [HardeningController]);
  });
  afterAll(() => t.close());

  const read = (sid: string) =>
    t.http().get('/get').query({ seg: 'S', key: 'k' }).set('Cookie', `sid=${sid}`).expect(200);

  it('is never adopted: a write gets a fresh id and the forged one still reads nothing', async () => {
    const forged = forgedId(`write-${adapter}`);
    expect(forged).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'S', key: 'k', value: '"planted"' })
      .set('Cookie', `sid=${forged}`)
      .expect(200);
    const issued = sidOf(write);
    expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued).not.toBe(forged);
    expect(write.body).toEqual({ id: issued });

    expect((await read(forged)).body).toEqual({ found: false, value: null });
    expect((await read(issued!)).body).toEqual({ found: true, value: 'planted' });
    expect(await store.readRaw(storeKeyOf(forged))).toBeUndefined();
    expect(await store.keys()).not.toContain(storeKeyOf(forged));
  });

  it('costs one store read and no write or cookie when only read', async () => {
    const forged = forgedId(`read-${adapter}`);
    store.calls.reset();
    const res = await read(forged);
    expect(res.body).toEqual({ found: false, value: null });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(store.calls.get).toBe(1);
    expect(store.calls.set + store.calls.delete).toBe(0);
  });
});
