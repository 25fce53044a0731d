// account.module.ts
import { Body, Controller, Get, Module, Post, UnauthorizedException } from '@nestjs/common';
import { Segment, Session, SessionManager, SessionModule } from 'nest-aura-session';

export interface Account {
  user: string;
}

@Controller()
export class AccountController {
  @Get('csrf-token')
  async csrfToken(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Post('login')
  async login(@Session() session: SessionManager, @Body('user') user: string) {
    await session.regenerateId();
    await session.newSegment<Account>('App\\Account').set('user', user);
    await session.newSegment('App\\Flash').setFlash('notice', `Welcome, ${user}`);
    return { user };
  }

  @Get('me')
  async me(
    @Segment('App\\Account') account: Segment<Account>,
    @Segment('App\\Flash') flash: Segment,
  ) {
    const user = await account.get('user');
    if (user === undefined) throw new UnauthorizedException();
    return { user, notice: await flash.getFlash('notice', null) };
  }
}

@Module({
  imports: [SessionModule.forRoot({ idleTimeout: 30 * 60_000 })],
  controllers: [AccountController],
})
export class AccountModule {}
