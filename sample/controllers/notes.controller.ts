import { Body, Controller, Post, Redirect } from '@nestjs/common';
import { Segment, Session, type SessionManager } from '../../src/index.js';
import { textField } from '../form-input.js';
import { LiveNotesGateway } from '../live-notes.gateway.js';
import { AUTH_SEGMENT, NOTES_SEGMENT, type AuthData, type NotesData } from '../segments.js';

/** Keeps the session far below the library's maxSize however many notes are posted. */
const MAX_NOTES = 50;

interface NoteForm {
  text?: unknown;
}

@Controller('notes')
export class NotesController {
  constructor(private readonly live: LiveNotesGateway) {}

  @Post()
  @Redirect('/', 303)
  async add(
    @Body() form: NoteForm | undefined,
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Segment(NOTES_SEGMENT) notes: Segment<NotesData>,
    @Session() session: SessionManager,
  ): Promise<{ url: string } | void> {
    if ((await auth.get('user')) === undefined) return { url: '/login' };
    const text = textField(form?.text, 200);
    if (text === '') return;
    const items = [...((await notes.get('items')) ?? []), text].slice(-MAX_NOTES);
    await notes.set('items', items);
    await notes.setFlash('notice', 'Note added');
    // The session's other open tabs show the note at once.
    this.live.publish(session, items);
  }
}
