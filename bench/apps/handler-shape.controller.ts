import { Controller, createParamDecorator, Get, type ExecutionContext } from '@nestjs/common';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

/** A stand-in for a segment: the same async `get`/`set`, over a value held on the instance. */
class HeldCounter {
  private static value = 0;

  async get(): Promise<number> {
    return HeldCounter.value;
  }

  async set(value: number): Promise<void> {
    HeldCounter.value = value;
  }
}

const HELD = new HeldCounter();

/** A parameter decorator that hands out {@link HELD}, as `@Segment()` hands out a segment. */
const Held = createParamDecorator((_data: unknown, _context: ExecutionContext) => HELD);

/**
 * The routes of ours with their handler shape (an `async` handler with a custom parameter
 * decorator whose value has async `get` and `set`) and no session behind it: what Nest itself
 * costs for that shape over the bare app's synchronous handlers. No session layer used through a
 * parameter decorator can be faster than this.
 */
@Controller()
export class HandlerShapeController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  async read(@Held() counter: HeldCounter): Promise<CounterBody> {
    return { counter: await counter.get() };
  }

  @Get('write')
  async write(@Held() counter: HeldCounter): Promise<CounterBody> {
    const next = (await counter.get()) + 1;
    await counter.set(next);
    return { counter: next };
  }
}
