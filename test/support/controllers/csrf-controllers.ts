import { Controller, Delete, Get, HttpCode, Options, Patch, Post, Put, Req } from '@nestjs/common';
import { Segment, Session, SessionManager, SkipCsrf } from '../../../src/index.js';

/** The endpoints the CSRF tests poke at: token issuing, unsafe actions, token lifecycle. */
@Controller('csrf')
export class CsrfTestController {
  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Get('two-tokens')
  async twoTokens(@Session() session: SessionManager) {
    const token = await session.getCsrfToken();
    return { first: token.getValue(), second: token.getValue() };
  }

  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @Options('untouched')
  @HttpCode(200)
  untouchedOptions() {
    return { ok: true };
  }

  @Post('action')
  @HttpCode(200)
  post(@Req() req: { method: string }) {
    return { ok: true, method: req.method };
  }

  @Put('action')
  put(@Req() req: { method: string }) {
    return { ok: true, method: req.method };
  }

  @Patch('action')
  patch(@Req() req: { method: string }) {
    return { ok: true, method: req.method };
  }

  @Delete('action')
  delete(@Req() req: { method: string }) {
    return { ok: true, method: req.method };
  }

  @Post('count')
  @HttpCode(200)
  count(@Segment('Test\\Csrf') seg: Segment<{ n: number }>) {
    return increment(seg);
  }

  @Post('count-unguarded')
  @HttpCode(200)
  @SkipCsrf()
  countUnguarded(@Segment('Test\\Csrf') seg: Segment<{ n: number }>) {
    return increment(seg);
  }

  @Post('clear')
  @HttpCode(200)
  async clear(@Session() session: SessionManager) {
    await session.clear();
    return { ok: true };
  }

  @Post('destroy')
  @HttpCode(200)
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }

  @Post('regenerate-id')
  @HttpCode(200)
  async regenerateId(@Session() session: SessionManager) {
    await session.regenerateId();
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Post('regenerate-value')
  @HttpCode(200)
  async regenerateValue(@Session() session: SessionManager) {
    const token = await session.getCsrfToken();
    token.regenerateValue();
    return { token: token.getValue() };
  }
}

async function increment(seg: Segment<{ n: number }>): Promise<{ n: number }> {
  const n = (await seg.get('n', 0))! + 1;
  await seg.set('n', n);
  return { n };
}
