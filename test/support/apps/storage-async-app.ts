import type { INestApplication, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { SessionModule } from '../../../src/index.js';
import type { SESSION_MODULE_ASYNC_OPTIONS_TYPE } from '../../../src/nest/session-module-definition.js';
import type { AdapterName, TestApp } from './test-app.js';

/**
 * Starts an app with `SessionModule.forRootAsync(options)`, the way the storage docs configure
 * Redis, and `controllers` on `adapter`.
 */
export async function createAsyncTestApp(
  adapter: AdapterName,
  options: typeof SESSION_MODULE_ASYNC_OPTIONS_TYPE,
  controllers: Type[],
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRootAsync(options)],
    controllers,
  }).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } else {
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }
  return { app, http: () => request(app.getHttpServer()), close: () => app.close() };
}
