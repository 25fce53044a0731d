import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BenchModule } from './bench.module.js';
import { installMinimalSessions } from './minimal-session.js';
import { answerUsageProbes } from './usage-probe.js';
import { useExpressSession, useFastifySession } from './peer-sessions.js';
import { findVariant } from './variants.js';

/** Message sent to the harness once the app listens. */
export interface ReadyMessage {
  ready: true;
}

const [variantId = '', port = '', redisUrl = ''] = process.argv.slice(2);
const variant = findVariant(variantId);
const module = BenchModule.for(variant, redisUrl);
const logger: LogLevel[] = ['error', 'warn'];

// An orphaned app would keep its port and a core busy: leave with the harness.
process.on('disconnect', () => process.exit(0));
answerUsageProbes();

if (variant.adapter === 'express') {
  const app = await NestFactory.create<NestExpressApplication>(module, { logger });
  if (variant.library === 'express-session') await useExpressSession(app, variant.store, redisUrl);
  await app.listen(Number(port), '127.0.0.1');
} else {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
    logger,
  });
  if (variant.library === '@fastify/session') await useFastifySession(app);
  if (variant.library === 'minimal-layer')
    installMinimalSessions(app.getHttpAdapter().getInstance());
  await app.listen(Number(port), '127.0.0.1');
}
process.send?.({ ready: true } satisfies ReadyMessage);
