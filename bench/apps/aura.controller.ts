import { Controller, Get } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../src/index.js';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

/** The segment every ours route reads and writes. */
export const COUNTER_SEGMENT = 'Bench\\Counter';

/** The data of {@link COUNTER_SEGMENT}. */
export interface CounterSegment {
  counter: number;
}

/** The routes on our parameter decorators; this controller stays a singleton. */
@Controller()
export class AuraController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  async read(@Segment(COUNTER_SEGMENT) counter: Segment<CounterSegment>): Promise<CounterBody> {
    return { counter: (await counter.get('counter')) ?? 0 };
  }

  @Get('write')
  async write(@Segment(COUNTER_SEGMENT) counter: Segment<CounterSegment>): Promise<CounterBody> {
    const next = ((await counter.get('counter')) ?? 0) + 1;
    await counter.set('counter', next);
    return { counter: next };
  }

  /** `/read` on a session bound to a user (see `/bind`): what a signed-in user's reads cost. */
  @Get('read-bound')
  readBound(@Segment(COUNTER_SEGMENT) counter: Segment<CounterSegment>): Promise<CounterBody> {
    return this.read(counter);
  }

  /** `/write` on a session bound to a user. */
  @Get('write-bound')
  writeBound(@Segment(COUNTER_SEGMENT) counter: Segment<CounterSegment>): Promise<CounterBody> {
    return this.write(counter);
  }

  /** Binds the request's session to the bench's user, as a login does. */
  @Get('bind')
  async bind(@Session() session: SessionManager): Promise<{ bound: boolean }> {
    await session.bindUser('bench-user');
    return { bound: true };
  }

  @Get('read-session')
  async readSession(@Session() session: SessionManager): Promise<CounterBody> {
    const counter = session.newSegment<CounterSegment>(COUNTER_SEGMENT);
    return { counter: (await counter.get('counter')) ?? 0 };
  }
}
