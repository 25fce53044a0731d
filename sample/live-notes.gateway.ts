import { WebSocketGateway, WebSocketServer, type OnGatewayConnection } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { SessionError, SessionSockets, type SessionManager } from '../src/index.js';
import { AUTH_SEGMENT, NOTES_SEGMENT, type AuthData, type NotesData } from './segments.js';

/**
 * Keeps every open tab of a session showing its notes: a tab's socket joins its session's room
 * when it connects, and each note added over HTTP is pushed to that room. A socket whose
 * handshake carries no signed-in session (signed out, or opened by another site's page) is told
 * so and dropped; so is one whose session cannot be read (the store down).
 */
@WebSocketGateway()
export class LiveNotesGateway implements OnGatewayConnection {
  @WebSocketServer()
  private readonly server!: Server;

  constructor(private readonly sockets: SessionSockets) {}

  async handleConnection(client: Socket): Promise<void> {
    try {
      const session = this.sockets.of(client);
      const user = await session.newSegment<AuthData>(AUTH_SEGMENT).get('user');
      const id = session.getId();
      if (user === undefined || id === undefined) {
        client.emit('signed-out');
        client.disconnect(true);
        return;
      }
      await client.join(roomOf(id));
      client.emit('notes', (await session.newSegment<NotesData>(NOTES_SEGMENT).get('items')) ?? []);
    } catch (error) {
      // No exception filter covers a connection, and Nest ignores this promise: a session error
      // left uncaught (the store down as the tab connects) would stop the process. The page
      // keeps the notes it was rendered with; a reload connects again.
      if (!(error instanceof SessionError)) throw error;
      client.emit('exception', { status: 'error', reason: error.code.toLowerCase() });
      client.disconnect(true);
    }
  }

  /** Sends `notes` to the open tabs of `session` only. */
  publish(session: SessionManager, notes: string[]): void {
    const id = session.getId();
    if (id !== undefined) this.server.to(roomOf(id)).emit('notes', notes);
  }

  /** Tells the open tabs of `session` it ended, and closes their sockets. */
  signOut(session: SessionManager): void {
    const id = session.getId();
    if (id === undefined) return;
    this.server.to(roomOf(id)).emit('signed-out');
    this.server.in(roomOf(id)).disconnectSockets(true);
  }
}

// Rooms live in this process only; the session id never leaves the server.
function roomOf(sessionId: string): string {
  return `session:${sessionId}`;
}
