import {
  All,
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CsrfGuard, SessionModule } from '../../src/index.js';
import { expectRefused } from '../support/http/csrf-client.js';
import { startCsrfApp, type CsrfTestApp } from '../support/apps/csrf-app.js';
import { ADAPTERS, type AdapterName } from '../support/apps/test-app.js';

/** The guards of the app's own that ran, in order. */
const ran: string[] = [];

@Injectable()
class ClassGuard implements CanActivate {
  canActivate(): boolean {
    ran.push('class');
    return true;
  }
}

@Injectable()
class RouteGuard implements CanActivate {
  canActivate(): boolean {
    ran.push('route');
    return true;
  }
}

@UseGuards(ClassGuard)
@Controller('guarded-class')
class GuardedClassController {
  @Post('action')
  @HttpCode(200)
  action() {
    return { ok: true };
  }

  @Get('page')
  page() {
    return { ok: true };
  }
}

@Controller('plain')
class PlainController {
  @Post('action')
  @HttpCode(200)
  @UseGuards(RouteGuard)
  action() {
    return { ok: true };
  }

  @All('any')
  @HttpCode(200)
  any() {
    return { ok: true };
  }

  @Get('page')
  page() {
    return { ok: true };
  }
}

const CONTROLLERS = [GuardedClassController, PlainController];
const forged = (app: { http(): request.Agent | ReturnType<typeof request> }, path: string) =>
  (app.http() as ReturnType<typeof request>)
    .post(path)
    .set('Sec-Fetch-Site', 'cross-site')
    .set('Origin', 'https://evil.example');

/** The same controllers in an app of the same process that has no SessionModule. */
async function startAppWithoutSessions(adapter: AdapterName): Promise<INestApplication> {
  @Module({ controllers: CONTROLLERS, providers: [ClassGuard, RouteGuard] })
  class NoSessionsModule {}
  const moduleRef = await Test.createTestingModule({ imports: [NoSessionsModule] }).compile();
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(ADAPTERS)('CSRF guard on the routes that need it (%s)', (adapter) => {
  let app: CsrfTestApp;
  beforeAll(async () => {
    app = await startCsrfApp(adapter, {}, CONTROLLERS);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    ran.length = 0;
  });

  it("refuses a forged request before the controller's own guards run", async () => {
    expectRefused(await forged(app, '/guarded-class/action'), 'csrf_cross_site');
    expect(ran).toEqual([]);
  });

  it("refuses a forged request before the route's own guards run", async () => {
    expectRefused(await forged(app, '/plain/action'), 'csrf_cross_site');
    expect(ran).toEqual([]);
  });

  it('lets a same-origin request through to the app guards, class guards first', async () => {
    const res = await app.http().get('/guarded-class/page');
    expect(res.status).toBe(200);
    expect(ran).toEqual(['class']);
  });

  it('guards an @All() route for its unsafe methods only', async () => {
    expectRefused(await forged(app, '/plain/any'), 'csrf_cross_site');
    const read = await app
      .http()
      .get('/plain/any')
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Origin', 'https://evil.example');
    expect(read.status).toBe(200);
  });

  it('leaves safe routes without a guard step', async () => {
    const res = await app
      .http()
      .get('/plain/page')
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Origin', 'https://evil.example');
    expect(res.status).toBe(200);
  });

  it('does not guard the same controllers in an app of the process without sessions', async () => {
    const other = await startAppWithoutSessions(adapter);
    try {
      const res = await request(other.getHttpServer())
        .post('/plain/action')
        .set('Sec-Fetch-Site', 'cross-site')
        .set('Origin', 'https://evil.example');
      expect(res.status).toBe(200);
      expect(ran).toEqual(['route']);
      expectRefused(await forged(app, '/plain/action'), 'csrf_cross_site');
    } finally {
      await other.close();
    }
  });
});

describe.each(ADAPTERS)('CSRF guard with its own csrf.methods (%s)', (adapter) => {
  let app: CsrfTestApp;
  beforeAll(async () => {
    app = await startCsrfApp(adapter, { csrf: { methods: ['put'] } }, CONTROLLERS);
  });
  afterAll(() => app.close());

  it('checks the methods listed, on every route that takes them', async () => {
    const put = await app
      .http()
      .put('/plain/any')
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Origin', 'https://evil.example');
    expectRefused(put, 'csrf_cross_site');
    expect((await forged(app, '/plain/any')).status).toBe(200);
    expect((await forged(app, '/plain/action')).status).toBe(200);
  });
});

describe.each(ADAPTERS)('CSRF guard overridden in a test module (%s)', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({})],
      controllers: CONTROLLERS,
      providers: [ClassGuard, RouteGuard],
    })
      .overrideProvider(CsrfGuard)
      .useValue({ canActivate: () => true })
      .compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    await app.init();
    if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('checks with the CsrfGuard the app was given', async () => {
    const res = await request(app.getHttpServer())
      .post('/plain/action')
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Origin', 'https://evil.example');
    expect(res.status).toBe(200);
  });
});
