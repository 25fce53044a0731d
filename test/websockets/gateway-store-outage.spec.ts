import { ADAPTERS, cookiesOf } from '../support/apps/test-app.js';
import { startSocketApp, type SocketAdapterName, type SocketApp } from './socket-app.js';
import { switchableCache } from '../support/stores/switchable-cache.js';

const SOCKETS: SocketAdapterName[] = ['socket.io', 'ws'];

/** A memory cache that, while `down`, fails like Redis under Keyv: an `error` event, no value. */

describe.each(ADAPTERS)('Gateway store outage on %s', (http) => {
  describe.each(SOCKETS)('with %s', (sockets) => {
    const { cache, state } = switchableCache();
    let t: SocketApp;

    beforeAll(async () => {
      t = await startSocketApp(http, sockets, { store: cache, csrf: { guard: false } });
    });
    afterAll(() => t.close());

    it('answers a message whose session read fails with an exception event, and keeps serving', async () => {
      const res = await t.http().post('/login').send({ user: 'ada' }).expect(200);
      const cookie = cookiesOf(res).find((c) => c.startsWith('sid='))!;
      const socket = await t.connect({ cookie });
      expect(await socket.next('hello')).toBe('ada');
      state.down = true;
      socket.send('notes');
      expect(await socket.next('exception')).toEqual(
        expect.objectContaining({ status: 'error', reason: 'session_store_unavailable' }),
      );
      state.down = false;
      socket.send('notes');
      expect(await socket.next('notes')).toEqual(['from http']);
    });
  });
});
