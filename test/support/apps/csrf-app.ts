import type { INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { SessionModule, type SessionModuleOptions } from '../../../src/index.js';
import { listenOnLoopback, type AdapterName, type ListeningTestApp } from './test-app.js';

/** How a {@link startCsrfApp} app differs from a plain test app. */
export interface CsrfAppSetup {
  /** Express `app.set('trust proxy', true)` / Fastify `trustProxy: true`. */
  trustProxy?: boolean;
  /** Runs before `init()`, where global guards must be registered. */
  beforeInit?: (app: INestApplication) => void;
}

/** A CSRF test app: listening on loopback, so its own origin is known. */
export type CsrfTestApp = ListeningTestApp;

/** Like `createTestApp`, with the CSRF setup's options, listening on 127.0.0.1. */
export async function startCsrfApp(
  adapter: AdapterName,
  options: SessionModuleOptions,
  controllers: Type[],
  setup: CsrfAppSetup = {},
): Promise<CsrfTestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers,
  }).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      new FastifyAdapter({ trustProxy: setup.trustProxy ?? false }),
      { logger: false },
    );
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    express.set('trust proxy', setup.trustProxy ?? false);
    app = express;
  }
  setup.beforeInit?.(app);
  return listenOnLoopback(app);
}
