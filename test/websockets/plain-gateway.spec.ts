import { ADAPTERS, cookiesOf } from '../support/apps/test-app.js';
import { PlainGateway } from './notes.gateway.js';
import { startSocketApp, type SocketAdapterName, type SocketApp } from './socket-app.js';

const SOCKETS: SocketAdapterName[] = ['socket.io', 'ws'];

describe.each(ADAPTERS)('A gateway without SessionInterceptor or the filter, on %s', (http) => {
  describe.each(SOCKETS)('with %s', (sockets) => {
    let t: SocketApp;

    beforeAll(async () => {
      t = await startSocketApp(http, sockets, { csrf: { guard: false } }, PlainGateway);
    });
    afterAll(() => t.close());

    async function signIn(): Promise<string> {
      const res = await t.http().post('/login').send({ user: 'ada' }).expect(200);
      return cookiesOf(res).find((c) => c.startsWith('sid='))!;
    }

    it('reads the session and saves what the handler commits itself', async () => {
      const cookie = await signIn();
      const socket = await t.connect({ cookie });
      socket.send('notes');
      expect(await socket.next('notes')).toEqual(['from http']);
      socket.send('add', 'committed');
      expect(await socket.next('added')).toEqual(['from http', 'committed']);
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual(['from http', 'committed']);
    });

    it("answers a write without a session with the adapter's usual exception event", async () => {
      const socket = await t.connect();
      socket.send('add', 'anonymous');
      expect(await socket.next('exception')).toEqual(
        expect.objectContaining({ status: 'error', message: 'Internal server error' }),
      );
    });
  });
});
