import { EventEmitter } from 'node:events';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { StorageController } from '../support/controllers/storage-controller.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

/**
 * A Keyv storage adapter whose calls reject while `down`, as adapters over a database do when
 * it is unreachable. Keyv's own `get` swallows such a rejection (without `throwOnErrors`) and
 * answers `undefined`, which must not read as "no session".
 */
class FlakyAdapter extends EventEmitter {
  down = false;
  private readonly data = new Map<string, unknown>();

  private reachable(): void {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  }

  async get(key: string): Promise<unknown> {
    this.reachable();
    return this.data.get(key);
  }

  async set(key: string, value: unknown): Promise<boolean> {
    this.reachable();
    this.data.set(key, value);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.reachable();
    return this.data.delete(key);
  }

  async clear(): Promise<void> {
    this.reachable();
    this.data.clear();
  }
}

describe.each(ADAPTERS)('a Keyv adapter that throws while its database is down (%s)', (adapter) => {
  const flaky = new FlakyAdapter();
  let t: TestApp;
  beforeAll(async () => {
    const cache = createCache({ stores: [new Keyv({ store: flaky })] });
    t = await createTestApp(adapter, { store: cache, storeTimeout: 500 }, [StorageController]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 to reads and writes, sends no cookie, and the same cookie works once it is back', async () => {
    const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
    flaky.down = true;
    try {
      for (const path of ['/get', '/put/lost']) {
        const res = await t.http().get(path).set('Cookie', `sid=${sid}`);
        expect({ path, status: res.status, reason: res.body.reason }).toEqual({
          path,
          status: 503,
          reason: 'session_store_unavailable',
        });
        expect(setCookieFor(res)).toBeUndefined();
      }
    } finally {
      flaky.down = false;
    }
    const read = await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toEqual({ value: 'kept' });
  });
});
