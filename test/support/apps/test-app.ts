import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { SessionModule, type SessionModuleOptions } from '../../../src/index.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/** A running Nest app with the session module, on the given HTTP adapter. */
export interface TestApp {
  app: INestApplication;
  /** supertest bound to the app's server. */
  http(): TestAgent;
  close(): Promise<void>;
}

/** Starts an app with `SessionModule.forRoot(options)` and `controllers` on `adapter`. */
export async function createTestApp(
  adapter: AdapterName,
  options: SessionModuleOptions,
  controllers: Type[],
  providers: Type[] = [],
): Promise<TestApp> {
  return startTestModule(adapter, {
    imports: [SessionModule.forRoot(options)],
    controllers,
    providers,
  });
}

/** Starts an app of the module described by `metadata` on `adapter`. */
export async function startTestModule(
  adapter: AdapterName,
  metadata: ModuleMetadata,
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useLogger(false);
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } else {
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }
  return {
    app,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}

/** A test app listening on 127.0.0.1, so its own origin is known. */
export interface ListeningTestApp extends TestApp {
  /** `http://127.0.0.1:<port>`: what the app sees as its own origin. */
  origin: string;
}

/**
 * Listens on a free loopback port before the first request: supertest would otherwise bind a new
 * port per request, and a same-origin `Origin` header needs the port.
 */
export async function listenOnLoopback(app: INestApplication): Promise<ListeningTestApp> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}

/** The `name=value` pairs of a response's Set-Cookie headers, for the next request's Cookie. */
export function cookiesOf(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((c: string) => c.split(';')[0]!);
}

/** The Set-Cookie header for cookie `name`, if the response has one. */
export function setCookieFor(
  res: { headers: Record<string, unknown> },
  name = 'sid',
): string | undefined {
  const raw = res.headers['set-cookie'];
  const list: string[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw as string];
  return list.find((c) => c.startsWith(`${name}=`));
}

/** The session id a response set, if any. */
export function sidOf(res: { headers: Record<string, unknown> }, name = 'sid'): string | undefined {
  return setCookieFor(res, name)
    ?.split(';')[0]!
    .slice(name.length + 1);
}
