import { countingCache } from '../support/stores/counting-cache.js';
import { ADAPTERS, cookiesOf } from '../support/apps/test-app.js';
import { startSocketApp, type SocketAdapterName, type SocketApp } from './socket-app.js';

const SOCKETS: SocketAdapterName[] = ['socket.io', 'ws'];
const TRUSTED = 'https://app.example.test';
const EVIL = 'https://evil.example';

const unavailable = expect.objectContaining({ status: 'error', reason: 'session_unavailable' });

describe.each(ADAPTERS)('Gateway sessions on %s', (http) => {
  describe.each(SOCKETS)('with %s', (sockets) => {
    const { cache, calls } = countingCache();
    let t: SocketApp;

    beforeAll(async () => {
      t = await startSocketApp(http, sockets, {
        store: cache,
        csrf: { guard: false, trustedOrigins: [TRUSTED] },
      });
    });
    afterAll(() => t.close());

    async function signIn(user: string): Promise<string> {
      const res = await t.http().post('/login').send({ user }).expect(200);
      return cookiesOf(res).find((c) => c.startsWith('sid='))!;
    }

    it("gives the handshake cookie's session to handlers and to SessionSockets.of()", async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      expect(await socket.next('hello')).toBe('ada');
      socket.send('notes');
      expect(await socket.next('notes')).toEqual(['from http']);
    });

    it("gives a guard using sessionFromContext() the handler's session, and commits its writes", async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      expect(await socket.next('hello')).toBe('ada');
      socket.send('guarded');
      expect(await socket.next('guarded')).toEqual({ checks: 1, same: true });
      socket.send('guarded');
      expect(await socket.next('guarded')).toEqual({ checks: 2, same: true });
      const res = await t.http().get('/checks').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual({ count: 2 });
    });

    it("commits a handler's write through the interceptor: the next HTTP request sees it", async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      socket.send('add', 'from socket');
      expect(await socket.next('added')).toEqual(['from http', 'from socket']);
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual(['from http', 'from socket']);
    });

    it("commits what SessionSockets.of() writes in a handler's stream, with the message", async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      socket.send('addEach', ['one', 'two']);
      expect(await socket.next('added')).toEqual(['from http', 'one']);
      expect(await socket.next('added')).toEqual(['from http', 'one', 'two']);
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual(['from http', 'one', 'two']);
    });

    it("sends a stream's last value before the error that follows it, and keeps its write", async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      socket.send('addThenFail', ['one']);
      expect(await socket.next('added')).toEqual(['from http', 'one']);
      expect(await socket.next('exception')).toEqual(
        expect.objectContaining({ message: 'stream failed' }),
      );
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual(['from http', 'one']);
    });

    it('reads the latest stored state on every message', async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      await t.http().post('/notes').set('Cookie', cookie).send({ text: 'later' }).expect(200);
      socket.send('notes');
      expect(await socket.next('notes')).toEqual(['from http', 'later']);
    });

    it('sees no session once it is destroyed over HTTP, and stores nothing for the socket', async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie });
      await t.http().post('/logout').set('Cookie', cookie).expect(204);
      socket.send('notes');
      expect(await socket.next('notes')).toEqual([]);
      calls.reset();
      socket.send('add', 'after logout');
      expect(await socket.next('exception')).toEqual(unavailable);
      expect(calls.set).toBe(0);
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual([]);
    });

    it('refuses a write on a socket without a session: SessionUnavailableError, nothing stored', async () => {
      const socket = await t.connect();
      expect(await socket.next('hello')).toBeNull();
      calls.reset();
      socket.send('add', 'anonymous');
      expect(await socket.next('exception')).toEqual(unavailable);
      expect(calls.set).toBe(0);
      socket.send('notes');
      expect(await socket.next('notes')).toEqual([]);
    });

    it('gives no session to a handshake from a foreign Origin carrying the cookie', async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie, origin: EVIL });
      expect(await socket.next('hello')).toBeNull();
      socket.send('notes');
      expect(await socket.next('notes')).toEqual([]);
      socket.send('add', 'forged');
      expect(await socket.next('exception')).toEqual(unavailable);
      const res = await t.http().get('/notes').set('Cookie', cookie).expect(200);
      expect(res.body).toEqual(['from http']);
    });

    it('gives no session to a handshake that Fetch Metadata marks cross-site', async () => {
      const cookie = await signIn('ada');
      const socket = await t.connect({ cookie, 'sec-fetch-site': 'Cross-Site' });
      expect(await socket.next('hello')).toBeNull();
    });

    it('gives the session to a handshake from its own origin or a trusted one', async () => {
      const cookie = await signIn('ada');
      const own = await t.connect({ cookie, origin: t.origin, 'sec-fetch-site': 'same-origin' });
      expect(await own.next('hello')).toBe('ada');
      const trusted = await t.connect({ cookie, origin: TRUSTED, 'sec-fetch-site': 'same-site' });
      expect(await trusted.next('hello')).toBe('ada');
    });
  });
});
