import { jest } from '@jest/globals';
import { Logger, Module, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { createCache, type Cache } from 'cache-manager';
import { SESSION_CACHE, SessionStoreModule } from '../../docs/examples/session-store.module.js';
import { AccountController, AccountModule } from '../../docs/examples/testing/account.module.js';
import { CsrfGuard, SessionModule } from '../../src/index.js';
import { ADAPTERS } from '../support/apps/test-app.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The code block right after `marker` in `guide`. */
function blockAfter(guide: string, marker: string): string {
  const start = guide.indexOf(`${marker}\n\`\`\`ts\n`);
  expect(start).toBeGreaterThan(-1);
  const from = start + marker.length + '\n```ts\n'.length;
  return guide.slice(from, guide.indexOf('```', from));
}

describe('the testing guide', () => {
  const guide = read('docs/testing.md');

  it('shows the app module and the e2e spec the suite runs, exactly', () => {
    expect(blockAfter(guide, '<!-- snippet: file=account.module.ts -->')).toBe(
      read('docs/examples/testing/account.module.ts'),
    );
    expect(
      blockAfter(
        guide,
        '<!-- snippet: skip a Jest spec: the test suite runs this exact file, docs/examples/testing/account.e2e-spec.ts -->',
      ),
    ).toBe(read('docs/examples/testing/account.e2e-spec.ts'));
    expect(
      blockAfter(
        guide,
        '<!-- snippet: skip a Jest spec: the test suite runs this exact file, docs/examples/testing/account.controller.spec.ts -->',
      ),
    ).toBe(read('docs/examples/testing/account.controller.spec.ts'));
  });
});

describe.each(ADAPTERS)(
  "the testing guide's Redis override, on the module of the store guide (%s)",
  (adapter) => {
    it('runs the app without Redis once SESSION_CACHE is a cache in memory, and closes it', async () => {
      // Nothing listens here: a Redis client the override did not replace would answer 503s.
      process.env.REDIS_URL = 'redis://127.0.0.1:1';
      @Module({
        imports: [
          SessionModule.forRootAsync({
            imports: [SessionStoreModule],
            inject: [SESSION_CACHE],
            useFactory: (store: Cache) => ({ store }),
          }),
        ],
        controllers: [AccountController],
      })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(SESSION_CACHE)
        .useValue(createCache())
        .compile();
      const app: INestApplication =
        adapter === 'fastify'
          ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
              logger: false,
            })
          : moduleRef.createNestApplication({ logger: false });
      await app.init();
      if (adapter === 'fastify') {
        await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
      }
      try {
        const agent = request.agent(app.getHttpServer());
        const { body } = await agent.get('/csrf-token').expect(200);
        await agent
          .post('/login')
          .set('X-CSRF-Token', body.token)
          .send({ user: 'ada' })
          .expect(201);
        await agent.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
      } finally {
        // Nest 12 logs a failed shutdown hook (Nest 11 rejects the close with it).
        const logged = jest.spyOn(Logger, 'error').mockImplementation(() => undefined);
        await app.close();
        const errors = logged.mock.calls;
        logged.mockRestore();
        expect(errors).toEqual([]);
        delete process.env.REDIS_URL;
      }
    });
  },
);

// The guide's spec runs on Express as it stands; its cases run here on Fastify, with the lines
// the guide adds for Fastify.
describe('the testing guide on Fastify', () => {
  let app: NestFastifyApplication | undefined;

  async function start(build: (b: TestingModuleBuilder) => TestingModuleBuilder = (b) => b) {
    const moduleRef = await build(Test.createTestingModule({ imports: [AccountModule] })).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app as INestApplication;
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  async function signedIn(server: INestApplication, user: string) {
    const agent = request.agent(server.getHttpServer());
    const { body } = await agent.get('/csrf-token').expect(200);
    await agent.post('/login').set('X-CSRF-Token', body.token).send({ user }).expect(201);
    return agent;
  }

  it('keeps the user signed in and shows the welcome once', async () => {
    const agent = await signedIn(await start(), 'ada');
    await agent.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
    await agent.get('/me').expect(200, { user: 'ada', notice: null });
  });

  it('refuses a login without a CSRF token', async () => {
    const server = await start();
    await request(server.getHttpServer()).post('/login').send({ user: 'ada' }).expect(403);
  });

  it('signs the user out after 30 idle minutes', async () => {
    const agent = await signedIn(await start(), 'ada');
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 29 * 60_000);
    await agent.get('/me').expect(200);
    jest.spyOn(Date, 'now').mockReturnValue(now + 89 * 60_000);
    await agent.get('/me').expect(401);
  });

  it('signs in without a token once the CsrfGuard provider is overridden', async () => {
    const server = await start((b) =>
      b.overrideProvider(CsrfGuard).useValue({ canActivate: () => true }),
    );
    const agent = request.agent(server.getHttpServer());
    await agent.post('/login').send({ user: 'ada' }).expect(201);
    await agent.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
  });

  it('still checks tokens with overrideGuard(CsrfGuard), as the guide says', async () => {
    const server = await start((b) =>
      b.overrideGuard(CsrfGuard).useValue({ canActivate: () => true }),
    );
    await request(server.getHttpServer()).post('/login').send({ user: 'ada' }).expect(403);
  });
});
