import { Controller, Get } from '@nestjs/common';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';
import { Minimal, MinimalSession } from './minimal-session.js';

/** Ours' routes, with the same handlers, on the bench's minimal session layer. */
@Controller()
export class MinimalSessionController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  async read(@Minimal() session: MinimalSession): Promise<CounterBody> {
    return { counter: (await session.get('counter')) ?? 0 };
  }

  @Get('write')
  async write(@Minimal() session: MinimalSession): Promise<CounterBody> {
    const next = ((await session.get('counter')) ?? 0) + 1;
    await session.set('counter', next);
    return { counter: next };
  }
}
