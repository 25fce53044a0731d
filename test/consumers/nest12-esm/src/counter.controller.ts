import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Segment, Session, SessionManager } from 'nest-aura-session';

interface Counter {
  count: number;
}

@Controller()
export class CounterController {
  @Get('count')
  async increment(
    @Segment('App\\Counter') counter: Segment<Counter>,
    @Session() session: SessionManager,
  ): Promise<{ count: number; csrf: string }> {
    const count = ((await counter.get('count')) ?? 0) + 1;
    await counter.set('count', count);
    const csrf = (await session.getCsrfToken()).getValue();
    return { count, csrf };
  }

  @Get('peek')
  async peek(@Segment('App\\Counter') counter: Segment<Counter>): Promise<{ count: number }> {
    return { count: (await counter.get('count')) ?? 0 };
  }

  @Post('reset')
  @HttpCode(200)
  async reset(@Segment('App\\Counter') counter: Segment<Counter>): Promise<{ count: number }> {
    await counter.set('count', 0);
    return { count: 0 };
  }
}
