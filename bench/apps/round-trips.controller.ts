import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { RedisClientType } from 'redis';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

/** Injection token of the node-redis client of the round-trips variant. */
export const ROUND_TRIPS_CLIENT = Symbol('round-trips-client');

// The lifetime a session library gives its record: half an hour.
const TTL_MS = 30 * 60 * 1000;

/**
 * The bare app plus the Redis round trips a session costs, and nothing else: `/read` sends one
 * `GET`, `/write` a `GET` then a `SET` of the request's record, keyed by its cookie header. No
 * session layer on node-redis that sends as many round trips can be faster than this.
 */
@Controller()
export class RoundTripsController {
  constructor(@Inject(ROUND_TRIPS_CLIENT) private readonly client: RedisClientType) {}

  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  async read(@Req() req: IncomingMessage): Promise<CounterBody> {
    return { counter: Number(await this.client.get(keyOf(req))) };
  }

  @Get('write')
  async write(@Req() req: IncomingMessage): Promise<CounterBody> {
    const key = keyOf(req);
    const counter = Number(await this.client.get(key)) + 1;
    await this.client.set(key, String(counter), { PX: TTL_MS });
    return { counter };
  }
}

function keyOf(req: IncomingMessage): string {
  return `rt:${req.headers.cookie ?? ''}`;
}
