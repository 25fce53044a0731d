import {
  Body,
  Controller,
  Get,
  HttpCode,
  Injectable,
  Post,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WsException,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import { concat, concatMap, from, throwError, type Observable } from 'rxjs';
import {
  Segment,
  Session,
  SessionError,
  SessionExceptionFilter,
  SessionInterceptor,
  sessionFromContext,
  SessionManager,
  SessionSockets,
} from '../../src/index.js';

type Notes = { items: string[] };
type Account = { user: string };

/** The part of a socket.io `Socket` or a `ws` `WebSocket` the gateway uses. */
type SocketClient =
  | { send(text: string): void; close(): void }
  | { emit(event: string, data: unknown): void; disconnect(): void };

// A `ws` socket has `send` (socket.io's too, but socket.io's also has `nsp`).
function isWs(client: SocketClient): client is { send(text: string): void; close(): void } {
  return !('nsp' in client) && 'send' in client;
}

function sendTo(client: SocketClient, event: string, data: unknown): void {
  if (isWs(client)) client.send(JSON.stringify({ event, data }));
  else client.emit(event, data);
}

/** What every gateway handler answers: Nest sends `{ event, data }` to the client as that event. */
interface Reply<T> {
  event: string;
  data: T;
}

type Checks = { count: number };

/** Lets signed-in sockets through, and counts the checks in their session. */
@Injectable()
class CountingGuard implements CanActivate {
  static lastSession: SessionManager | undefined;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = sessionFromContext(context);
    CountingGuard.lastSession = session;
    if ((await session.newSegment<Account>('account').get('user')) === undefined) return false;
    const checks = session.newSegment<Checks>('checks');
    await checks.set('count', (await checks.get('count', 0)) + 1);
    return true;
  }
}

@WebSocketGateway()
@UseInterceptors(SessionInterceptor)
@UseFilters(SessionExceptionFilter)
export class NotesGateway implements OnGatewayConnection {
  constructor(private readonly sockets: SessionSockets) {}

  /**
   * Greets each socket with its user, read through `SessionSockets` (no execution context). No
   * exception filter covers this method and Nest ignores its promise: a session error (the store
   * down as the socket connects) is answered here, or it would stop the process.
   */
  async handleConnection(client: SocketClient): Promise<void> {
    try {
      const user =
        (await this.sockets.of(client).newSegment<Account>('account').get('user')) ?? null;
      sendTo(client, 'hello', user);
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      sendTo(client, 'exception', { status: 'error', reason: error.code.toLowerCase() });
      if (isWs(client)) client.close();
      else client.disconnect();
    }
  }

  @SubscribeMessage('notes')
  async notes(@Segment('notes') notes: Segment<Notes>): Promise<Reply<string[]>> {
    return { event: 'notes', data: (await notes.get('items')) ?? [] };
  }

  @SubscribeMessage('add')
  async add(
    @MessageBody() text: string,
    @Segment('notes') notes: Segment<Notes>,
    @Session() session: SessionManager,
  ): Promise<Reply<string[]>> {
    // Both decorators hand out the message's one session: the write is seen and committed once.
    const items = [...((await session.newSegment<Notes>('notes').get('items')) ?? []), text];
    await notes.set('items', items);
    return { event: 'added', data: items };
  }

  /**
   * Adds the texts one by one as a stream, through `SessionSockets` as a service would: each
   * value comes after the handler has returned.
   */
  @SubscribeMessage('addEach')
  addEach(
    @MessageBody() texts: string[],
    @ConnectedSocket() client: object,
  ): Observable<Reply<string[]>> {
    return from(texts).pipe(
      concatMap(async (text) => {
        const notes = this.sockets.of(client).newSegment<Notes>('notes');
        const items = [...((await notes.get('items')) ?? []), text];
        await notes.set('items', items);
        return { event: 'added', data: items };
      }),
    );
  }

  /**
   * Behind a guard that reads and writes the message's session through `sessionFromContext()`:
   * Nest runs it before `SessionInterceptor`, and the handler must still get the same session.
   */
  @SubscribeMessage('guarded')
  @UseGuards(CountingGuard)
  async guarded(@Session() session: SessionManager): Promise<Reply<unknown>> {
    const checks = await session.newSegment<Checks>('checks').get('count', 0);
    return { event: 'guarded', data: { checks, same: session === CountingGuard.lastSession } };
  }

  /** `addEach`, then an error, which comes while the last value's write is being committed. */
  @SubscribeMessage('addThenFail')
  addThenFail(
    @MessageBody() texts: string[],
    @ConnectedSocket() client: object,
  ): Observable<Reply<string[]>> {
    return concat(
      this.addEach(texts, client),
      throwError(() => new WsException('stream failed')),
    );
  }
}

/** The HTTP side: sign in (starts the session), read the notes, sign out (destroys it). */
@Controller()
export class AccountController {
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: { user: string },
    @Session() session: SessionManager,
  ): Promise<{ ok: true }> {
    await session.regenerateId();
    await session.newSegment<Account>('account').set('user', body.user);
    await session.newSegment<Notes>('notes').set('items', ['from http']);
    return { ok: true };
  }

  @Get('notes')
  async notes(@Segment('notes') notes: Segment<Notes>): Promise<string[]> {
    return (await notes.get('items')) ?? [];
  }

  @Get('checks')
  async checks(@Segment('checks') checks: Segment<Checks>): Promise<Checks> {
    return { count: await checks.get('count', 0) };
  }

  @Post('notes')
  @HttpCode(200)
  async add(
    @Body() body: { text: string },
    @Segment('notes') notes: Segment<Notes>,
  ): Promise<void> {
    await notes.set('items', [...((await notes.get('items')) ?? []), body.text]);
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Session() session: SessionManager): Promise<void> {
    await session.destroy();
  }
}

/** A gateway without the interceptor or the filter: each message commits its own writes. */
@WebSocketGateway()
export class PlainGateway {
  @SubscribeMessage('notes')
  async notes(@Segment('notes') notes: Segment<Notes>): Promise<Reply<string[]>> {
    return { event: 'notes', data: (await notes.get('items')) ?? [] };
  }

  @SubscribeMessage('add')
  async add(
    @MessageBody() text: string,
    @Session() session: SessionManager,
  ): Promise<Reply<string[]>> {
    const notes = session.newSegment<Notes>('notes');
    const items = [...((await notes.get('items')) ?? []), text];
    await notes.set('items', items);
    await session.commit();
    return { event: 'added', data: items };
  }
}
