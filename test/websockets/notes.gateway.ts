import { Body, Controller, Get, HttpCode, Post, UseFilters, UseInterceptors } from '@nestjs/common';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import {
  Segment,
  Session,
  SessionExceptionFilter,
  SessionInterceptor,
  SessionManager,
  SessionSockets,
} from '../../src/index.js';

type Notes = { items: string[] };
type Account = { user: string };

/** What every gateway handler answers: Nest sends `{ event, data }` to the client as that event. */
interface Reply<T> {
  event: string;
  data: T;
}

@WebSocketGateway()
@UseInterceptors(SessionInterceptor)
@UseFilters(SessionExceptionFilter)
export class NotesGateway implements OnGatewayConnection {
  constructor(private readonly sockets: SessionSockets) {}

  /** Greets each socket with its user, read through `SessionSockets` (no execution context). */
  async handleConnection(client: { send?: unknown; emit?: unknown }): Promise<void> {
    const user = (await this.sockets.of(client).newSegment<Account>('account').get('user')) ?? null;
    const hello = { event: 'hello', data: user };
    if (typeof client.send === 'function' && !('nsp' in client)) {
      (client.send as (text: string) => void)(JSON.stringify(hello));
    } else {
      (client.emit as (event: string, data: unknown) => void)('hello', user);
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
