import { Controller, Get } from '@nestjs/common';
import { SessionManager } from '../../src/index.js';
import { COUNTER_SEGMENT, type CounterSegment } from './aura.controller.js';
import type { CounterBody } from './counter.js';

/**
 * /read through a constructor-injected SessionManager. Nest makes this controller request-scoped
 * (the manager is), so every request builds a controller and a manager: the cost this measures.
 */
@Controller()
export class AuraScopedController {
  constructor(private readonly session: SessionManager) {}

  @Get('read-scoped')
  async read(): Promise<CounterBody> {
    const counter = this.session.newSegment<CounterSegment>(COUNTER_SEGMENT);
    return { counter: (await counter.get('counter')) ?? 0 };
  }
}
