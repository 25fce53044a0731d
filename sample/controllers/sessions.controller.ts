import { Body, Controller, Get, Post, Redirect } from '@nestjs/common';
import { Segment, Session, SessionRegistry, type SessionManager } from '../../src/index.js';
import { textField } from '../form-input.js';
import { AUTH_SEGMENT, type AuthData } from '../segments.js';
import { sessionsPage } from '../views/sessions-page.js';
import { HtmlPage } from './html-page.js';

interface RevokeForm {
  handle?: unknown;
}

/**
 * "Your sessions": every device signed in as this user (bound at login with `bindUser()`), with a
 * button to sign one out and one to sign out every other device.
 */
@Controller('sessions')
export class SessionsController {
  constructor(private readonly registry: SessionRegistry) {}

  @Get()
  @HtmlPage()
  async show(
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Session() session: SessionManager,
  ): Promise<string> {
    const userId = await session.getUserId();
    const user = await auth.get('user');
    if (userId === undefined || user === undefined) return sessionsPage(undefined);
    return sessionsPage({
      user,
      sessions: await this.registry.list(userId, { current: session }),
      notice: await auth.getFlash<string>('sessions'),
      csrfToken: (await session.getCsrfToken()).getValue(),
    });
  }

  @Post('revoke')
  @Redirect('/sessions', 303)
  async revoke(
    @Body() form: RevokeForm | undefined,
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Session() session: SessionManager,
  ): Promise<void> {
    const userId = await session.getUserId();
    if (userId === undefined) return;
    // A handle from the form is only ever looked up in this user's own list: an unknown one is false.
    const revoked = await this.registry.revoke(userId, textField(form?.handle, 64));
    await auth.setFlash(
      'sessions',
      revoked ? 'Signed out that device.' : 'That session had already ended.',
    );
  }

  @Post('revoke-others')
  @Redirect('/sessions', 303)
  async revokeOthers(
    @Segment(AUTH_SEGMENT) auth: Segment<AuthData>,
    @Session() session: SessionManager,
  ): Promise<void> {
    const userId = await session.getUserId();
    if (userId === undefined) return;
    const count = await this.registry.revokeAll(userId, { except: session });
    await auth.setFlash(
      'sessions',
      `Signed out ${count} other ${count === 1 ? 'device' : 'devices'}.`,
    );
  }
}
