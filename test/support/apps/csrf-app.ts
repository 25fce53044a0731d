import type { INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { SessionModule, type SessionModuleOptions } from '../../../src/index.js';
import type { AdapterName, TestApp } from './test-app.js';

/** How a {@link startCsrfApp} app differs from a plain test app. */
export interface CsrfAppSetup {
  /** Express `app.set('trust proxy', true)` / Fastify `trustProxy: true`. */
  trustProxy?: boolean;
  /** Runs before `init()`, where global guards must be registered. */
  beforeInit?: (app: INestApplication) => void;
}

/** A test app listening on a fixed loopback port, so its own origin is known. */
export interface CsrfTestApp extends TestApp {
  /** `http://127.0.0.1:<port>`: what the app sees as its own origin. */
  origin: string;
}

/**
 * Like `createTestApp`, but listening on 127.0.0.1 before the first request: supertest would
 * otherwise bind a new port per request, and a same-origin `Origin` header needs the port.
 */
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
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}
