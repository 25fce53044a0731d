import { Controller, Get } from '@nestjs/common';
import { Segment, Session, type SessionManager } from '../../src/index.js';
import { AUTH_SEGMENT, NOTES_SEGMENT, type AuthData, type NotesData } from '../segments.js';
import { homePage } from '../views/home-page.js';
import { welcomePage } from '../views/welcome-page.js';
import { HtmlPage } from './html-page.js';

@Controller()
export class HomeController {
  @Get()
  @HtmlPage()
  async show(
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Segment(NOTES_SEGMENT) notes: Segment<NotesData>,
    @Session() session: SessionManager,
  ): Promise<string> {
    const user = await auth.get('user');
    if (user === undefined) return welcomePage();
    return homePage({
      user,
      notes: (await notes.get('items')) ?? [],
      notice: await notes.getFlash<string>('notice'),
      csrfToken: (await session.getCsrfToken()).getValue(),
    });
  }
}
