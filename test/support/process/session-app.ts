import 'reflect-metadata';
import { Controller, Get, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Module } from '@nestjs/common';
import { SessionModule, type SessionModuleOptions } from '../../../src/index.js';
import { HardeningController, barrier } from '../controllers/hardening-controller.js';
import { redisCache } from '../stores/redis-cache.js';
import { RegistryController } from '../controllers/registry-controller.js';

/** What the parent process sends to start an app: see `startAppProcess`. */
export interface AppProcessArgs {
  adapter: 'express' | 'fastify';
  port: number;
  redisUrl: string;
  options: Omit<SessionModuleOptions, 'store'>;
}

@Controller()
class ProcessControlController {
  /** Arms this process's barrier: the next `n` requests sent with `barrier=1` wait for each other. */
  @Get('arm')
  arm(@Query('n') n: string): { armed: number } {
    barrier.reset(Number(n));
    return { armed: Number(n) };
  }

  /** A route that never touches the session. */
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

const args = JSON.parse(process.argv[2]!) as AppProcessArgs;
const { cache } = redisCache(args.redisUrl);

@Module({
  imports: [SessionModule.forRoot({ ...args.options, store: cache })],
  controllers: [HardeningController, ProcessControlController, RegistryController],
})
class AppModule {}

const app =
  args.adapter === 'fastify'
    ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error'] })
    : await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(args.port, '127.0.0.1');
process.send?.({ ready: true });
process.on('disconnect', () => {
  void app.close().finally(() => process.exit(0));
});
