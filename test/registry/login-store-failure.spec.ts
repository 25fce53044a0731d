import { SessionRuntime } from '../../src/core/session-runtime.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

/** What the library stores under the old id of a regenerated session. */
const MOVED_MARKER = '{"v":1,"moved":true}';

/**
 * A login's last store calls, after its session has moved to the new id, list the user's
 * sessions to apply `maxSessionsPerUser`. When the store fails just then, the new id is the
 * only one left for the browser: the login must still hand it over.
 */
describe.each(ADAPTERS)('a store failing after a login moved its session (%s)', (adapter) => {
  let t: TestApp;
  const warnings: string[] = [];
  const { cache, state } = switchableCache();
  let failAfterMove = false;

  beforeAll(async () => {
    const keyv = cache.stores[0]!;
    const set = keyv.set.bind(keyv);
    keyv.set = async (...args: Parameters<typeof set>) => {
      const done = await set(...args);
      if (failAfterMove && args[1] === MOVED_MARKER) state.down = true;
      return done;
    };
    t = await createTestApp(adapter, { store: cache, maxSessionsPerUser: 1, storeTimeout: 500 }, [
      RegistryController,
    ]);
    t.app.get(SessionRuntime).logger.warn = (message: string) => void warnings.push(message);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    warnings.length = 0;
  });

  async function loginWhileTheStoreFails(before: string) {
    failAfterMove = true;
    const login = await t
      .http()
      .get('/users/login')
      .query({ user: 'alice' })
      .set('Cookie', `sid=${before}`);
    failAfterMove = false;
    state.down = false;
    return login;
  }

  const read = async (sid: string) =>
    (await t.http().get('/users/read').set('Cookie', `sid=${sid}`).expect(200)).body as {
      session: unknown;
    };

  it('the login answers 200 with the new cookie, its data kept; the limit applies at the next login', async () => {
    const other = sidOf(await t.http().get('/users/login').query({ user: 'alice' }).expect(200))!;
    const before = sidOf(await t.http().get('/users/put').query({ key: 'cart' }).expect(200))!;

    const login = await loginWhileTheStoreFails(before);
    expect(login.status).toBe(200);
    const after = sidOf(login)!;
    expect(after).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after).not.toBe(before);
    expect(await read(after)).toEqual({ session: { user: 'alice', s: { cart: 1 } } });
    expect(warnings).toEqual([expect.stringContaining('maxSessionsPerUser applies again')]);
    expect((await read(other)).session).not.toBeNull();

    const latest = sidOf(await t.http().get('/users/login').query({ user: 'alice' }).expect(200))!;
    expect(await read(other)).toEqual({ session: null });
    expect(await read(after)).toEqual({ session: null });
    expect((await read(latest)).session).not.toBeNull();
  });

  it('without maxSessionsPerUser, the warning says the next login prunes the list', async () => {
    await t.close();
    t = await createTestApp(adapter, { store: cache, storeTimeout: 500 }, [RegistryController]);
    t.app.get(SessionRuntime).logger.warn = (message: string) => void warnings.push(message);
    await t.http().get('/users/login').query({ user: 'alice' }).expect(200);
    const before = sidOf(await t.http().get('/users/put').query({ key: 'cart' }).expect(200))!;
    expect((await loginWhileTheStoreFails(before)).status).toBe(200);
    expect(warnings).toEqual([
      expect.stringContaining("could not check the user's other sessions"),
    ]);
    expect(warnings[0]).toContain('their next login prunes them again');
    expect(warnings[0]).not.toContain('maxSessionsPerUser');
  });
});
