import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

declare module 'express-session' {
  interface SessionData {
    counter: number;
  }
}

/** The routes on `req.session` of express-session (middleware installed with `app.use`). */
@Controller()
export class ExpressSessionController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  read(@Req() req: Request): CounterBody {
    return { counter: req.session.counter ?? 0 };
  }

  @Get('write')
  write(@Req() req: Request): CounterBody {
    const counter = (req.session.counter ?? 0) + 1;
    req.session.counter = counter;
    return { counter };
  }
}
