import { Controller, Get, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

declare module 'fastify' {
  interface Session {
    counter: number;
  }
}

/** The routes on `request.session` of @fastify/session (plugin registered on the adapter). */
@Controller()
export class FastifySessionController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  read(@Req() req: FastifyRequest): CounterBody {
    return { counter: req.session.get('counter') ?? 0 };
  }

  @Get('write')
  write(@Req() req: FastifyRequest): CounterBody {
    const counter = (req.session.get('counter') ?? 0) + 1;
    req.session.set('counter', counter);
    return { counter };
  }
}
