import { Body, Controller, Get, Post, Redirect } from '@nestjs/common';
import { Segment, Session, type SessionManager } from '../../src/index.js';
import { textField } from '../form-input.js';
import { LiveNotesGateway } from '../live-notes.gateway.js';
import { AUTH_SEGMENT, type AuthData } from '../segments.js';
import { loginPage } from '../views/login-page.js';
import { HtmlPage } from './html-page.js';

interface LoginForm {
  name?: unknown;
}

@Controller()
export class AuthController {
  constructor(private readonly live: LiveNotesGateway) {}

  @Get('login')
  @HtmlPage()
  async showLogin(
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Session() session: SessionManager,
  ): Promise<string> {
    return loginPage({
      error: await auth.getFlash<string>('error'),
      csrfToken: (await session.getCsrfToken()).getValue(),
    });
  }

  @Post('login')
  @Redirect('/', 303)
  async login(
    @Body() form: LoginForm | undefined,
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Session() session: SessionManager,
  ): Promise<{ url: string } | void> {
    const name = textField(form?.name, 40);
    if (name === '') {
      await auth.setFlash('error', 'Enter a name to sign in.');
      return { url: '/login' };
    }
    await auth.set('user', name);
    // A privilege change: a session id known before login must not carry the signed-in user.
    await session.regenerateId();
    // Lists the session under the user's name, for "Your sessions" on every device.
    await session.bindUser(name);
  }

  @Post('logout')
  @Redirect('/', 303)
  async logout(@Session() session: SessionManager): Promise<void> {
    // Read before destroy() forgets the id: the session's open tabs are told it ended.
    if (await session.resume()) this.live.signOut(session);
    await session.destroy();
  }
}
