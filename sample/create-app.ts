import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { createRedisStore } from './session-store.js';

export type SampleAdapter = 'express' | 'fastify';

export interface SampleAppOptions {
  adapter?: SampleAdapter;
  /** Sessions go to this Redis server; without it they stay in the process's memory. */
  redisUrl?: string;
  logger?: LoggerService | LogLevel[] | false;
}

/** Builds the sample app without listening, so main.ts and the browser test share it. */
export async function createSampleApp(options: SampleAppOptions = {}): Promise<INestApplication> {
  const { adapter = 'express', redisUrl, logger } = options;
  const module = AppModule.register(redisUrl ? createRedisStore(redisUrl) : undefined);
  const appOptions = logger === undefined ? {} : { logger };
  if (adapter === 'fastify') {
    return NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), appOptions);
  }
  return NestFactory.create(module, appOptions);
}
