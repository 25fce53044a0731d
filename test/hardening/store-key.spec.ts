import { storeKeyOf } from '../support/stores/core-store.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import {
  appOnStore,
  storesFor,
  type InspectableStore,
} from '../support/stores/hardening-stores.js';
import { ADAPTERS, type TestApp } from '../support/apps/test-app.js';

const stores = storesFor('store keys');

describe.each(ADAPTERS)('store keys at rest (%s)', (adapter) => {
  describe.each(stores)('%s store', (_name, openStore) => {
    let store: InspectableStore;
    let t: TestApp;
    appOnStore(adapter, openStore, (openedStore, app) => {
      store = openedStore;
      t = app;
    });

    it('holds a hash of each session id, never the id itself', async () => {
      const sids = [await startSession(t), await startSession(t), await startSession(t)];
      const keys = await store.keys();
      expect(keys).toHaveLength(3);
      for (const key of keys) {
        expect(key).toMatch(/(^|:)sess:[A-Za-z0-9_-]{43}$/);
        for (const sid of sids) expect(key).not.toContain(sid);
      }
      for (const sid of sids) {
        expect(keys.filter((key) => key.endsWith(storeKeyOf(sid)))).toHaveLength(1);
        const record = await store.readRaw(storeKeyOf(sid));
        expect(typeof record).toBe('string');
        expect(record as string).not.toContain(sid);
      }
    });
  });
});
