import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { AccountModule } from '../../docs/examples/testing/account.module.js';
import { CsrfGuard } from '../../src/index.js';

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
  });
});

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
