import { storeKeyOf } from '../support/stores/core-store.js';
import { startSession } from '../support/scenarios/hardening-scenarios.js';
import {
  appOnStore,
  storesFor,
  type InspectableStore,
} from '../support/stores/hardening-stores.js';
import { gate } from '../support/timing/hardening-sync.js';
import { ADAPTERS, setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

const stores = storesFor('late commits');

let gates = 0;

describe.each(ADAPTERS)('late commits (%s)', (adapter) => {
  describe.each(stores)('%s store', (_name, openStore) => {
    let store: InspectableStore;
    let t: TestApp;
    appOnStore(adapter, openStore, (openedStore, app) => {
      store = openedStore;
      t = app;
    });

    const holdsKeyOf = async (sid: string) =>
      (await store.keys()).some((key) => key.endsWith(storeKeyOf(sid)));
    /** Whether a session (not just the short-lived marker a regenerateId leaves) is stored for `sid`. */
    const holdsSessionOf = async (sid: string) => {
      const raw = await store.readRaw(storeKeyOf(sid));
      return typeof raw === 'string' && raw.includes('"createdAt"');
    };
    const reads = async (sid: string) =>
      (await t.http().get('/get').query({ seg: 'Init', key: 'x' }).set('Cookie', `sid=${sid}`))
        .body;

    /** Starts `/put` on `sid` and holds it after it loaded the session, before it writes. */
    async function slowWrite(sid: string) {
      const name = `late-${++gates}`;
      const pending = t
        .http()
        .get('/put')
        .query({ seg: 'Init', key: 'late', value: '"late"', gate: name })
        .set('Cookie', `sid=${sid}`)
        .then((res) => res);
      await gate(name).arrived();
      return {
        finish: () => {
          gate(name).open();
          return pending;
        },
      };
    }

    it('a slow request that loaded before destroy does not bring the session back', async () => {
      const sid = await startSession(t);
      const slow = await slowWrite(sid);
      const destroyed = await t.http().get('/destroy').set('Cookie', `sid=${sid}`).expect(200);
      expect(setCookieFor(destroyed)).toMatch(/^sid=;/);
      const keysAfterDestroy = (await store.keys()).sort();
      expect(await holdsKeyOf(sid)).toBe(false);

      const late = await slow.finish();
      expect(late.status).toBeLessThan(500);
      expect(setCookieFor(late)).toMatch(/^sid=;.*Max-Age=0/i);
      expect(await reads(sid)).toEqual({ found: false, value: null });
      expect(await holdsKeyOf(sid)).toBe(false);
      expect((await store.keys()).sort()).toEqual(keysAfterDestroy);
    });

    it('a slow request that loaded before regenerateId does not revive the old id', async () => {
      const sid = await startSession(t);
      const slow = await slowWrite(sid);
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const newSid = sidOf(regenerated)!;
      expect(newSid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(newSid).not.toBe(sid);
      const keysAfterRegenerate = (await store.keys()).sort();

      const late = await slow.finish();
      expect(late.status).toBeLessThan(500);
      // The browser already holds the new cookie: a sibling request of the old id leaves it alone.
      expect(setCookieFor(late)).toBeUndefined();
      expect(await reads(sid)).toEqual({ found: false, value: null });
      expect(await holdsSessionOf(sid)).toBe(false);
      expect(await reads(newSid)).toEqual({ found: true, value: 1 });
      expect((await store.keys()).sort()).toEqual(keysAfterRegenerate);
    });

    it('after regenerateId the old id reads nothing and the new id has the data', async () => {
      const sid = await startSession(t);
      const regenerated = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const newSid = sidOf(regenerated)!;
      expect(newSid).not.toBe(sid);
      expect(regenerated.body).toEqual({ id: newSid });
      expect(await reads(sid)).toEqual({ found: false, value: null });
      expect(await holdsSessionOf(sid)).toBe(false);
      expect(await holdsSessionOf(newSid)).toBe(true);
      expect(await reads(newSid)).toEqual({ found: true, value: 1 });
    });

    it('a write with the old id that loads after regenerateId (a late sibling) sends no cookie: the login stays', async () => {
      const sid = await startSession(t);
      const keysBefore = (await store.keys()).length;
      const newSid = sidOf(await t.http().get('/regenerate').set('Cookie', `sid=${sid}`))!;
      const write = await t
        .http()
        .get('/put')
        .query({ seg: 'Other', key: 'y', value: '2' })
        .set('Cookie', `sid=${sid}`)
        .expect(200);
      expect(setCookieFor(write)).toBeUndefined();
      expect(await reads(newSid)).toEqual({ found: true, value: 1 });
      expect(await holdsSessionOf(sid)).toBe(false);
      // The new id's session and the old id's marker: the dropped write stored nothing.
      expect((await store.keys()).length).toBe(keysBefore + 1);
    });

    it('a page load with the old id after regenerateId gets a new session: the login response never reached it', async () => {
      const sid = await startSession(t);
      const newSid = sidOf(await t.http().get('/regenerate').set('Cookie', `sid=${sid}`))!;
      const page = await t
        .http()
        .get('/put')
        .query({ seg: 'Other', key: 'y', value: '2' })
        .set('Cookie', `sid=${sid}`)
        .set('Sec-Fetch-Mode', 'navigate')
        .expect(200);
      const third = sidOf(page)!;
      expect(third).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect([sid, newSid]).not.toContain(third);
      expect(await holdsSessionOf(third)).toBe(true);
    });

    it.each([
      ['a frame', { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe' }],
      [
        'a prefetch',
        { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', 'Sec-Purpose': 'prefetch' },
      ],
    ])(
      '%s loaded with the old id after regenerateId sends no cookie: the login stays',
      async (_, headers) => {
        const sid = await startSession(t);
        const newSid = sidOf(await t.http().get('/regenerate').set('Cookie', `sid=${sid}`))!;
        const background = await t
          .http()
          .get('/put')
          .query({ seg: 'Other', key: 'y', value: '2' })
          .set('Cookie', `sid=${sid}`)
          .set(headers)
          .expect(200);
        expect(setCookieFor(background)).toBeUndefined();
        expect(await reads(newSid)).toEqual({ found: true, value: 1 });
      },
    );

    it('regenerateId with the old id after the move (a login tried again) gets a new session', async () => {
      const sid = await startSession(t);
      const newSid = sidOf(await t.http().get('/regenerate').set('Cookie', `sid=${sid}`))!;
      const again = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
      const third = sidOf(again)!;
      expect(third).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect([sid, newSid]).not.toContain(third);
      expect(await holdsSessionOf(third)).toBe(true);
    });
  });
});
