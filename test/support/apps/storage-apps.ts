import type { SessionModuleOptions } from '../../../src/index.js';
import { StorageController } from '../controllers/storage-controller.js';
import { createTestApp, type AdapterName, type TestApp } from './test-app.js';

/**
 * For the enclosing `describe`: `start(options)` opens a StorageController app on `adapter`;
 * every app it opened is closed after the tests.
 */
export function storageApps(
  adapter: AdapterName,
): (options: SessionModuleOptions) => Promise<TestApp> {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  return async (options) => {
    const app = await createTestApp(adapter, options, [StorageController]);
    apps.push(app);
    return app;
  };
}

/** The value `GET /get` reads from the storage segment with session `sid` (null when none). */
export async function valueFor(t: TestApp, sid: string): Promise<unknown> {
  return (await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(200)).body.value;
}
