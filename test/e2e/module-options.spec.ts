import {
  Controller,
  Get,
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express from 'express';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import request from 'supertest';
import {
  SESSION_MODULE_OPTIONS,
  Segment,
  Session,
  SessionManager,
  SessionModule,
  SessionOptionsError,
  type SessionModuleOptions,
} from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { peekSession } from '../support/stores/core-store.js';
import { ADAPTERS, sidOf, type AdapterName } from '../support/apps/test-app.js';

type Values = { n: number };

@Controller()
class OptionsController {
  @Get('write')
  async write(@Segment('App\\Options') seg: Segment<Values>, @Session() session: SessionManager) {
    await seg.set('n', ((await seg.get('n')) ?? 0) + 1);
    return { name: session.getName() };
  }

  @Get('read')
  async read(@Segment('App\\Options') seg: Segment<Values>) {
    return { n: (await seg.get('n')) ?? null };
  }
}

/** Starts an app that imports `imports` (one of them a SessionModule) on `adapter`. */
async function startApp(
  adapter: AdapterName,
  imports: (DynamicModule | Type)[],
  controllers: Type[] = [OptionsController],
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports, controllers }).compile();
  if (adapter === 'fastify') {
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useLogger(false);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** Rejects when `imports` fail to start; an app that starts anyway is closed, then reported. */
async function startupFailure(adapter: AdapterName, imports: DynamicModule[]): Promise<void> {
  const app = await startApp(adapter, imports);
  await app.close();
  throw new Error('the app started');
}

/** Writes twice and reads once through `app`; returns the session cookie pair it got. */
async function roundTrip(app: INestApplication, cookieName = 'sid') {
  const server = app.getHttpServer();
  const first = await request(server).get('/write').expect(200);
  const id = sidOf(first, cookieName)!;
  expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await request(server).get('/write').set('Cookie', `${cookieName}=${id}`).expect(200);
  const read = await request(server).get('/read').set('Cookie', `${cookieName}=${id}`).expect(200);
  expect(read.body).toEqual({ n: 2 });
  return { id, name: first.body.name as string };
}

/** Options that must fail at startup, and a pattern the message must match. */
const BAD_OPTIONS: [string, unknown, RegExp][] = [
  ['a negative idleTimeout', { idleTimeout: -1 }, /"idleTimeout"/],
  ['a non-numeric idleTimeout', { idleTimeout: '30m' }, /"idleTimeout"/],
  ['a zero storeTimeout', { storeTimeout: 0 }, /"storeTimeout"/],
  ['a touchAfter not below idleTimeout', { idleTimeout: 1000, touchAfter: 1000 }, /"touchAfter"/],
  ['a zero maxSize', { maxSize: 0 }, /"maxSize"/],
  ['a non-string keyPrefix', { keyPrefix: 5 }, /"keyPrefix"/],
  ['an unknown option', { idleTimout: 1000 }, /"idleTimout"/],
  // Nest copies forRoot()'s options by assignment, which turns this key into the prototype.
  [
    'a __proto__ key from parsed JSON, which would turn CSRF off',
    JSON.parse('{"__proto__":{"csrf":false}}'),
    /"options"/,
  ],
  [
    'an unknown cookie option',
    { cookie: { sameSite: 'lax', httponly: true } },
    /"cookie\.httponly"/,
  ],
  ['an unknown csrf option', { csrf: { trustedOrigin: [] } }, /"csrf\.trustedOrigin"/],
  ['a bogus cookie.sameSite', { cookie: { sameSite: 'bogus' } }, /"cookie\.sameSite"/],
  [
    'sameSite none without Secure',
    { cookie: { sameSite: 'none', secure: false } },
    /"cookie\.sameSite"/,
  ],
  ['a cookie.path without a leading slash', { cookie: { path: 'app' } }, /"cookie\.path"/],
  ['a negative cookie.maxAge', { cookie: { maxAge: -5 } }, /"cookie\.maxAge"/],
  ['an invalid cookie name', { cookie: { name: 'my session' } }, /"cookie\.name"/],
  [
    'a __Host- name without secure: true',
    { cookie: { name: '__Host-sid' } },
    /"cookie\.name".*secure/,
  ],
  [
    'a __Host- name with a domain',
    { cookie: { name: '__Host-sid', secure: true, domain: 'example.com' } },
    /"cookie\.name".*domain/,
  ],
  [
    'a __Secure- name with secure: auto',
    { cookie: { name: '__Secure-sid' } },
    /"cookie\.name".*secure/,
  ],
  [
    'a csrf.trustedOrigins entry that is not a URL',
    { csrf: { trustedOrigins: ['not a url'] } },
    /"csrf\.trustedOrigins".*not a url/,
  ],
  [
    'a csrf.trustedOrigins entry with a path',
    { csrf: { trustedOrigins: ['https://app.example.com/login'] } },
    /"csrf\.trustedOrigins"/,
  ],
  ['a safe method in csrf.methods', { csrf: { methods: ['POST', 'GET'] } }, /"csrf\.methods"/],
  ['an invalid csrf.header', { csrf: { header: 'x csrf' } }, /"csrf\.header"/],
  ['a randval without generate()', { randval: {} }, /"randval"/],
  ['a store that is not a cache', { store: {} }, /"store"/],
  ['a store that is a bare Map', { store: new Map() }, /"store"/],
];

/** A ConfigService-like provider, as `@nestjs/config` would give. */
@Injectable()
class AppConfig {
  readonly values = new Map<string, unknown>([['SESSION_COOKIE', 'cfg_sid']]);

  get<T>(key: string): T {
    return this.values.get(key) as T;
  }
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

/** The string token `@nestjs/cache-manager` uses for the app's cache. */
const CACHE_MANAGER = 'CACHE_MANAGER';

describe.each(ADAPTERS)('module options (%s)', (adapter) => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function started(imports: (DynamicModule | Type)[], controllers?: Type[]) {
    const app = await startApp(adapter, imports, controllers);
    apps.push(app);
    return app;
  }

  describe('forRoot with invalid options fails at startup naming the option', () => {
    it.each(BAD_OPTIONS)('%s', async (_, options, message) => {
      await expect(
        startupFailure(adapter, [SessionModule.forRoot(options as SessionModuleOptions)]),
      ).rejects.toThrow(message);
    });

    it('fails the same way through forRootAsync', async () => {
      await expect(
        startupFailure(adapter, [
          SessionModule.forRootAsync({ useFactory: () => ({ idleTimeout: -1 }) }),
        ]),
      ).rejects.toThrow(/"idleTimeout"/);
    });

    it.each([
      ['nothing (a forgotten return)', undefined],
      ['null', null],
      ['an array', []],
    ])(
      'fails when the forRootAsync factory returns %s, instead of starting on the defaults',
      async (_, returned) => {
        await expect(
          startupFailure(adapter, [
            SessionModule.forRootAsync({
              useFactory: () => returned as unknown as SessionModuleOptions,
            }),
          ]),
        ).rejects.toThrow(/"options" must be a plain object/);
      },
    );

    it('names the fix when the options are an instance of a class, as a typed config gives', async () => {
      class SessionConfigValues {
        idleTimeout = 60_000;
      }
      await expect(
        startupFailure(adapter, [
          SessionModule.forRootAsync({ useFactory: () => new SessionConfigValues() }),
        ]),
      ).rejects.toThrow(/"options" must be a plain object .*\{ \.\.\.instance \}/);
      const spread = await startApp(adapter, [
        SessionModule.forRootAsync({ useFactory: () => ({ ...new SessionConfigValues() }) }),
      ]);
      await spread.close();
    });
  });

  it.each([
    ['other options', { cookie: { name: 'feature_sid' } }],
    ['the same options', { cookie: { name: 'app_sid' } }],
  ])(
    'refuses SessionModule imported again by a feature module, with %s (a store of its own)',
    async (_, featureOptions) => {
      @Module({ imports: [SessionModule.forRoot(featureOptions)] })
      class FeatureModule {}
      const app = startApp(adapter, [
        SessionModule.forRoot({ cookie: { name: 'app_sid' } }),
        FeatureModule as unknown as DynamicModule,
      ]);
      await expect(app).rejects.toThrow(/SessionModule is imported more than once in this app/);
      await expect(app).rejects.toMatchObject({ code: 'SESSION_OPTIONS_INVALID' });
    },
  );

  it('refuses an isGlobal that is not a boolean, which Nest would read as truthy', () => {
    const options = { isGlobal: 'no' } as unknown as SessionModuleOptions;
    expect(() => SessionModule.forRoot(options)).toThrow(
      'SessionModule option "isGlobal" must be a boolean',
    );
    const asyncOptions = { isGlobal: 0, useFactory: () => ({}) } as unknown as Parameters<
      typeof SessionModule.forRootAsync
    >[0];
    expect(() => SessionModule.forRootAsync(asyncOptions)).toThrow(SessionOptionsError);
    expect(SessionModule.forRoot({ isGlobal: false }).global).toBe(false);
    expect(SessionModule.forRoot().global).toBe(true);
  });

  it('works with forRoot() and no options (default in-memory store)', async () => {
    const app = await started([SessionModule.forRoot()]);
    expect((await roundTrip(app)).name).toBe('sid');
  });

  it('accepts a __Host- cookie name with secure: true', async () => {
    const app = await started([
      SessionModule.forRoot({ cookie: { name: '__Host-sid', secure: true } }),
    ]);
    const res = await request(app.getHttpServer()).get('/write').expect(200);
    expect(res.body.name).toBe('__Host-sid');
    const header = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(header).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43};/);
    expect(header).toMatch(/; Secure/i);
  });

  it('builds its options with forRootAsync from an injected config provider', async () => {
    const { cache, calls, keyv } = countingCache();
    const app = await started([
      SessionModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          store: cache,
          keyPrefix: 'cfg:',
          cookie: { name: config.get<string>('SESSION_COOKIE') },
        }),
      }),
    ]);
    const { id, name } = await roundTrip(app, 'cfg_sid');
    expect(name).toBe('cfg_sid');
    expect(calls.set).toBe(2);
    expect((await peekSession(keyv, id, 'cfg:'))?.segments['App\\Options']?.values).toEqual({
      n: 2,
    });
  });

  it('builds its options with forRootAsync and useClass', async () => {
    const { cache, calls } = countingCache();
    @Injectable()
    class SessionOptionsFactory {
      create(): SessionModuleOptions {
        return { store: cache, cookie: { name: 'class_sid' } };
      }
    }
    const app = await started([SessionModule.forRootAsync({ useClass: SessionOptionsFactory })]);
    expect((await roundTrip(app, 'class_sid')).name).toBe('class_sid');
    expect(calls.set).toBe(2);
  });

  it('lets the app inject SESSION_MODULE_OPTIONS, as given', async () => {
    @Controller('given')
    class GivenOptionsController {
      constructor(@Inject(SESSION_MODULE_OPTIONS) private readonly options: SessionModuleOptions) {}

      @Get()
      given() {
        return this.options;
      }
    }
    const app = await started(
      [SessionModule.forRootAsync({ useFactory: () => ({ keyPrefix: 'given:' }) })],
      [GivenOptionsController],
    );
    const res = await request(app.getHttpServer()).get('/given').expect(200);
    expect(res.body).toEqual({ keyPrefix: 'given:' });
  });

  it('reuses the app cache provided under CACHE_MANAGER through forRootAsync', async () => {
    const { cache, calls, keyv } = countingCache();

    @Global()
    @Module({ providers: [{ provide: CACHE_MANAGER, useValue: cache }], exports: [CACHE_MANAGER] })
    class AppCacheModule {}

    @Controller('app-cache')
    class AppCacheController {
      constructor(@Inject(CACHE_MANAGER) private readonly appCache: Cache) {}

      @Get()
      async use() {
        await this.appCache.set('products', ['a', 'b'], 60_000);
        return { products: await this.appCache.get('products') };
      }
    }

    const app = await started(
      [
        AppCacheModule,
        SessionModule.forRootAsync({
          inject: [CACHE_MANAGER],
          useFactory: (appCache: Cache) => ({ store: appCache }),
        }),
      ],
      [OptionsController, AppCacheController],
    );
    const { id } = await roundTrip(app);
    expect(calls.set).toBe(2);
    expect(await peekSession(keyv, id)).toBeDefined();
    const own = await request(app.getHttpServer()).get('/app-cache').expect(200);
    expect(own.body).toEqual({ products: ['a', 'b'] });
    const again = await request(app.getHttpServer())
      .get('/read')
      .set('Cookie', `sid=${id}`)
      .expect(200);
    expect(again.body).toEqual({ n: 2 });
  });
});

describe('two Nest apps on one Express app', () => {
  it('refuses sessions in the second, naming the shared server instance', async () => {
    const server = express();
    @Module({ imports: [SessionModule.forRoot()] })
    class FirstModule {}
    @Module({ imports: [SessionModule.forRoot({ cookie: { name: 'second_sid' } })] })
    class SecondModule {}
    const first = await NestFactory.create(FirstModule, new ExpressAdapter(server), {
      logger: false,
    });
    await first.init();
    const second = await NestFactory.create(SecondModule, new ExpressAdapter(server), {
      logger: false,
    });
    try {
      await expect(second.init()).rejects.toThrow(/shares this HTTP server instance/);
    } finally {
      await first.close();
    }
  });
});
