import { UseFilters, type INestApplication, type Type } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  Segment,
  Session,
  SessionExceptionFilter,
  SessionManager,
  SessionModule,
} from '../../src/index.js';
import { cookiesOf } from '../support/apps/test-app.js';
import { freePort } from '../support/servers/free-ports.js';
import { AccountController } from './notes.gateway.js';
import { connectIo, connectWs, type SocketAdapterName, type TestSocket } from './socket-app.js';

type Notes = { items: string[] };

const TRUSTED = 'https://app.example.test';

/** A gateway without SessionInterceptor on `port`, a port of its own. */
function ownPortGateway(port: number): Type {
  @WebSocketGateway(port)
  @UseFilters(SessionExceptionFilter)
  class OwnPortGateway {
    @SubscribeMessage('notes')
    async notes(@Segment('notes') notes: Segment<Notes>) {
      return { event: 'notes', data: (await notes.get('items')) ?? [] };
    }

    @SubscribeMessage('add')
    async add(@MessageBody() text: string, @Session() session: SessionManager) {
      const notes = session.newSegment<Notes>('notes');
      const items = [...((await notes.get('items')) ?? []), text];
      await notes.set('items', items);
      await session.commit();
      return { event: 'added', data: items };
    }
  }
  return OwnPortGateway;
}

const unavailable = expect.objectContaining({ status: 'error', reason: 'session_unavailable' });

describe.each<SocketAdapterName>(['ws', 'socket.io'])(
  'A gateway on a port of its own, without SessionInterceptor (%s)',
  (sockets) => {
    let app: INestApplication;
    let port: number;
    const open: TestSocket[] = [];

    beforeAll(async () => {
      port = await freePort();
      const moduleRef = await Test.createTestingModule({
        imports: [SessionModule.forRoot({ csrf: { guard: false, trustedOrigins: [TRUSTED] } })],
        controllers: [AccountController],
        providers: [ownPortGateway(port)],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      app.useWebSocketAdapter(sockets === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
      await app.listen(0, '127.0.0.1');
    });
    afterAll(async () => {
      for (const socket of open) socket.close();
      await app.close();
    });

    async function connect(headers: Record<string, string>): Promise<TestSocket> {
      const socket =
        sockets === 'ws'
          ? await connectWs(port, headers)
          : await connectIo(`http://127.0.0.1:${port}`, headers);
      open.push(socket);
      return socket;
    }

    async function signIn(): Promise<string> {
      const res = await request(app.getHttpServer()).post('/login').send({ user: 'ada' });
      return cookiesOf(res).find((c) => c.startsWith('sid='))!;
    }

    if (sockets === 'ws') {
      it('reads no session and refuses a write (the handshake is not seen)', async () => {
        const cookie = await signIn();
        const socket = await connect({ cookie });
        socket.send('notes');
        expect(await socket.next('notes')).toEqual([]);
        socket.send('add', 'from socket');
        expect(await socket.next('exception')).toEqual(unavailable);
        const res = await request(app.getHttpServer()).get('/notes').set('Cookie', cookie);
        expect(res.body).toEqual(['from http']);
      });
    } else {
      it("reads the handshake cookie's session and saves what the handler commits", async () => {
        const cookie = await signIn();
        const socket = await connect({ cookie });
        socket.send('notes');
        expect(await socket.next('notes')).toEqual(['from http']);
        socket.send('add', 'from socket');
        expect(await socket.next('added')).toEqual(['from http', 'from socket']);
        const res = await request(app.getHttpServer()).get('/notes').set('Cookie', cookie);
        expect(res.body).toEqual(['from http', 'from socket']);
      });

      it("gives a page's handshake the session only when the page's origin is trusted", async () => {
        const cookie = await signIn();
        const { port: appPort } = app.getHttpServer().address() as { port: number };
        const fromApp = await connect({ cookie, origin: `http://127.0.0.1:${appPort}` });
        fromApp.send('notes');
        expect(await fromApp.next('notes')).toEqual([]);
        const fromTrusted = await connect({ cookie, origin: TRUSTED });
        fromTrusted.send('notes');
        expect(await fromTrusted.next('notes')).toEqual(['from http']);
      });
    }
  },
);
