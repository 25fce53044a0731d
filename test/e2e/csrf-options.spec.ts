import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig } from '@nestjs/core';
import { createHash } from 'node:crypto';
import {
  CsrfGuard,
  SkipCsrf,
  type RandvalInterface,
  type SessionModuleOptions,
} from '../../src/index.js';
import { startCsrfApp, type CsrfAppSetup, type CsrfTestApp } from '../support/apps/csrf-app.js';
import {
  expectRefused,
  issueToken,
  unmask,
  type IssuedToken,
} from '../support/http/csrf-client.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { ADAPTERS, sidOf, type AdapterName } from '../support/apps/test-app.js';

@Controller('hooks')
class HandlerSkipController {
  @Post('skipped')
  @HttpCode(200)
  @SkipCsrf()
  skipped() {
    return { ok: true };
  }

  @Post('guarded')
  @HttpCode(200)
  guarded() {
    return { ok: true };
  }
}

@SkipCsrf()
@Controller('webhooks')
class ControllerSkipController {
  @Post('payment')
  @HttpCode(200)
  payment() {
    return { ok: true };
  }
}

@UseGuards(CsrfGuard)
@Controller('protected')
class ProtectedController {
  @Post('action')
  @HttpCode(200)
  action() {
    return { ok: true };
  }

  @Post('exempt')
  @HttpCode(200)
  @SkipCsrf()
  exempt() {
    return { ok: true };
  }
}

// A guard made by hand, as `@UseGuards(new RolesGuard())` is in Nest's own docs.
@UseGuards(new CsrfGuard())
@Controller('by-hand')
class HandMadeGuardController {
  @Post('action')
  @HttpCode(200)
  action() {
    return { ok: true };
  }
}

/** Deterministic bytes that record what they handed out, to see where they end up. */
class CountingRandval implements RandvalInterface {
  readonly issued: string[] = [];
  private n = 0;

  generate(): Buffer {
    const bytes = createHash('sha256').update(`randval-${this.n++}`).digest();
    this.issued.push(bytes.toString('base64url'));
    return bytes;
  }
}

/** The guards a handler itself carries, as Nest reads them when it registers its route. */
function guardsOn(handler: object): unknown[] {
  return (Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? [];
}

/** The guards Nest runs before every route of `app`, as its routes got them. */
function globalGuardsOf(app: CsrfTestApp): unknown[] {
  return app.app
    .get(ApplicationConfig)
    .getGlobalGuards()
    .filter((guard) => guard != null);
}

function withApp(
  adapter: AdapterName,
  options: SessionModuleOptions,
  setup?: CsrfAppSetup,
): { t(): CsrfTestApp; issued(): IssuedToken } {
  let app: CsrfTestApp;
  let token: IssuedToken;
  beforeAll(async () => {
    app = await startCsrfApp(
      adapter,
      options,
      [
        CsrfTestController,
        HandlerSkipController,
        ControllerSkipController,
        ProtectedController,
        HandMadeGuardController,
      ],
      setup,
    );
    token = await issueToken(app);
  });
  afterAll(() => app.close());
  return { t: () => app, issued: () => token };
}

describe.each(ADAPTERS)('CSRF options (%s)', (adapter) => {
  describe('@SkipCsrf()', () => {
    const { cache, calls } = countingCache();
    const { t, issued } = withApp(adapter, { store: cache });

    it('puts no guard in front of every route: only the routes that take unsafe methods get one', () => {
      expect(globalGuardsOf(t())).toEqual([]);
      expect(guardsOn(HandlerSkipController.prototype.guarded)).toHaveLength(1);
      expect(guardsOn(CsrfTestController.prototype.untouched)).toEqual([]);
    });

    it('exempts a handler; its siblings stay guarded', async () => {
      const skipped = await t()
        .http()
        .post('/hooks/skipped')
        .set('Sec-Fetch-Site', 'cross-site')
        .set('Origin', 'https://payments.example')
        .send({ event: 'paid' });
      expect(skipped.status).toBe(200);
      expectRefused(await t().http().post('/hooks/guarded').send({}), 'csrf_token_missing');
    });

    it('exempts every handler of a controller', async () => {
      const res = await t()
        .http()
        .post('/webhooks/payment')
        .set('Origin', 'https://payments.example')
        .send({ event: 'paid' });
      expect(res.status).toBe(200);
    });

    it('makes no store call on an exempt route, even with a session cookie', async () => {
      calls.reset();
      const res = await t().http().post('/webhooks/payment').set('Cookie', issued().cookie);
      expect(res.status).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(calls.total()).toBe(0);
    });
  });

  describe('custom field, header and methods', () => {
    const { t, issued } = withApp(adapter, {
      csrf: { field: '_token', header: 'X-XSRF-TOKEN', methods: ['post', 'Delete'] },
    });
    const post = () => t().http().post('/csrf/action').set('Cookie', issued().cookie);

    it('reads the token from the configured header and body field', async () => {
      expect((await post().set('x-xsrf-token', issued().token)).status).toBe(200);
      expect((await post().type('form').send({ _token: issued().token })).status).toBe(200);
      expect((await post().send({ _token: issued().token })).status).toBe(200);
    });

    it('ignores the default header and field names', async () => {
      expectRefused(await post().set('x-csrf-token', issued().token), 'csrf_token_missing');
      expectRefused(
        await post().type('form').send({ __csrf_value: issued().token }),
        'csrf_token_missing',
      );
    });

    it('checks only the configured methods', async () => {
      const unsafe = (method: 'put' | 'patch' | 'delete') =>
        t().http()[method]('/csrf/action').set('Cookie', issued().cookie);
      expectRefused(await unsafe('delete'), 'csrf_token_missing');
      expect((await unsafe('delete').set('x-xsrf-token', issued().token)).status).toBe(200);
      expect((await unsafe('put')).status).toBe(200);
      expect((await unsafe('patch').set('Origin', 'https://evil.example')).status).toBe(200);
    });
  });

  describe('a bracketed field name, as PHP-style forms write them', () => {
    const { t, issued } = withApp(adapter, { csrf: { field: 'form[_token]' } });
    const post = () => t().http().post('/csrf/action').set('Cookie', issued().cookie);

    it('reads the token whether the body parser nests the name or keeps it flat', async () => {
      const form = await post()
        .type('form')
        .send(`form%5B_token%5D=${issued().token}&form%5Bx%5D=1`);
      expect(form.status).toBe(200);
      expect((await post().send({ form: { _token: issued().token } })).status).toBe(200);
      expect((await post().send({ 'form[_token]': issued().token })).status).toBe(200);
    });

    it('finds no token elsewhere in the nested object', async () => {
      expectRefused(await post().send({ form: { token: issued().token } }), 'csrf_token_missing');
      expectRefused(await post().send({ form: [issued().token] }), 'csrf_token_missing');
      expectRefused(await post().send({ _token: issued().token }), 'csrf_token_missing');
    });
  });

  describe('csrf.trustedOrigins', () => {
    const { t, issued } = withApp(adapter, {
      csrf: { trustedOrigins: ['https://Admin.Example.test:443/'] },
    });
    const post = (origin: string) =>
      t()
        .http()
        .post('/csrf/action')
        .set('Cookie', issued().cookie)
        .set('x-csrf-token', issued().token)
        .set('Origin', origin);

    it('passes Sec-Fetch-Site: same-site from a trusted origin', async () => {
      const res = await post('https://admin.example.test').set('Sec-Fetch-Site', 'same-site');
      expect(res.status).toBe(200);
    });

    it('passes a trusted Origin from a browser that sends no Fetch Metadata', async () => {
      expect((await post('https://admin.example.test')).status).toBe(200);
    });

    it('still refuses other same-site origins and other origins', async () => {
      expectRefused(
        await post('https://shop.example.test').set('Sec-Fetch-Site', 'same-site'),
        'csrf_cross_site',
      );
      expectRefused(await post('https://shop.example.test'), 'csrf_origin_mismatch');
      expectRefused(await post('http://admin.example.test'), 'csrf_origin_mismatch');
    });

    it('still refuses Sec-Fetch-Site: cross-site, trusted origin or not', async () => {
      expectRefused(
        await post('https://admin.example.test').set('Sec-Fetch-Site', 'cross-site'),
        'csrf_cross_site',
      );
    });

    it('still wants a valid token from a trusted origin', async () => {
      const res = await t()
        .http()
        .post('/csrf/action')
        .set('Cookie', issued().cookie)
        .set('Origin', 'https://admin.example.test')
        .set('Sec-Fetch-Site', 'same-site');
      expectRefused(res, 'csrf_token_missing');
    });
  });

  describe('csrf: false', () => {
    const { t, issued } = withApp(adapter, { csrf: false });

    it('checks nothing, not even where CsrfGuard is applied by hand', async () => {
      const forged = (path: string) =>
        t()
          .http()
          .post(path)
          .set('Cookie', issued().cookie)
          .set('Sec-Fetch-Site', 'cross-site')
          .set('Origin', 'https://evil.example');
      expect((await forged('/csrf/action')).status).toBe(200);
      expect((await forged('/protected/action')).status).toBe(200);
      expect((await forged('/by-hand/action')).status).toBe(200);
    });

    it('registers no global guard, so routes pay for no guard step', () => {
      expect(globalGuardsOf(t())).toEqual([]);
    });
  });

  describe('csrf: { guard: false }', () => {
    const { t, issued } = withApp(adapter, { csrf: { guard: false } });

    it('does not guard globally', async () => {
      const res = await t().http().post('/csrf/action').set('Origin', 'https://evil.example');
      expect(res.status).toBe(200);
      expect(globalGuardsOf(t())).toEqual([]);
    });

    it('still protects a controller with @UseGuards(CsrfGuard)', async () => {
      const post = (path: string) => t().http().post(path).set('Cookie', issued().cookie);
      expectRefused(await post('/protected/action'), 'csrf_token_missing');
      expectRefused(
        await post('/protected/action')
          .set('x-csrf-token', issued().token)
          .set('Origin', 'https://evil.example'),
        'csrf_origin_mismatch',
      );
      expect((await post('/protected/action').set('x-csrf-token', issued().token)).status).toBe(
        200,
      );
      expect((await post('/protected/exempt')).status).toBe(200);
    });

    it('protects a controller with @UseGuards(new CsrfGuard()) the same way', async () => {
      const post = () => t().http().post('/by-hand/action').set('Cookie', issued().cookie);
      expectRefused(await post(), 'csrf_token_missing');
      expectRefused(
        await post().set('x-csrf-token', issued().token).set('Origin', 'https://evil.example'),
        'csrf_origin_mismatch',
      );
      expectRefused(await post().set('x-csrf-token', 'forged'), 'csrf_token_invalid');
      expect((await post().set('x-csrf-token', issued().token)).status).toBe(200);
    });
  });

  describe('csrf: { guard: false } with app.useGlobalGuards(app.get(CsrfGuard))', () => {
    const { t, issued } = withApp(
      adapter,
      { csrf: { guard: false } },
      { beforeInit: (app) => app.useGlobalGuards(app.get(CsrfGuard)) },
    );

    it('guards every route again', async () => {
      const post = (path: string) => t().http().post(path).set('Cookie', issued().cookie);
      expectRefused(await post('/csrf/action'), 'csrf_token_missing');
      expect((await post('/csrf/action').set('x-csrf-token', issued().token)).status).toBe(200);
      expect((await post('/webhooks/payment')).status).toBe(200);
    });
  });

  describe('csrf: { guard: false } with app.useGlobalGuards(new CsrfGuard())', () => {
    const { t, issued } = withApp(
      adapter,
      { csrf: { guard: false } },
      { beforeInit: (app) => app.useGlobalGuards(new CsrfGuard()) },
    );

    it('guards every route with the options given to SessionModule', async () => {
      const post = (path: string) => t().http().post(path).set('Cookie', issued().cookie);
      expectRefused(await post('/csrf/action'), 'csrf_token_missing');
      expectRefused(
        await post('/csrf/action').set('Sec-Fetch-Site', 'cross-site'),
        'csrf_cross_site',
      );
      expect((await post('/csrf/action').set('x-csrf-token', issued().token)).status).toBe(200);
      expect((await post('/webhooks/payment')).status).toBe(200);
      expect((await post('/hooks/skipped')).status).toBe(200);
    });
  });

  describe('a short idleTimeout', () => {
    const { t, issued } = withApp(adapter, { idleTimeout: 300 });
    const clock = fakeClock();

    it('makes the tokens of an expired session invalid, without starting a new one', async () => {
      clock.advance(450);
      const res = await t()
        .http()
        .post('/csrf/action')
        .set('Cookie', issued().cookie)
        .set('x-csrf-token', issued().token);
      expectRefused(res, 'csrf_token_invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('a refusal when a touch is due', () => {
    const { cache, calls } = countingCache();
    const { t, issued } = withApp(adapter, {
      store: cache,
      touchAfter: 100,
      cookie: { maxAge: 60_000 },
    });
    const clock = fakeClock();

    it('neither stores a touch nor sends the cookie again', async () => {
      clock.advance(150);
      calls.reset();
      const forged = await t()
        .http()
        .post('/csrf/action')
        .set('Cookie', issued().cookie)
        .set('x-csrf-token', 'forged');
      expectRefused(forged, 'csrf_token_invalid');
      expect(forged.headers['set-cookie']).toBeUndefined();
      expect(calls.set).toBe(0);
      const read = await t().http().get('/csrf/token').set('Cookie', issued().cookie).expect(200);
      expect(read.headers['set-cookie']).toBeDefined();
      expect(calls.set).toBe(1);
    });
  });

  describe('a custom randval', () => {
    const randval = new CountingRandval();
    const { t } = withApp(adapter, { randval });

    it('supplies the session id, the CSRF secret and the one-time pads', async () => {
      const before = randval.issued.length;
      const res = await t().http().get('/csrf/two-tokens').expect(200);
      const fresh = randval.issued.slice(before);
      const sid = sidOf(res)!;
      const { first, second } = res.body as { first: string; second: string };
      const a = unmask(first);
      const b = unmask(second);
      expect(fresh).toContain(sid);
      expect(a.secret.toString('base64url')).toBe(b.secret.toString('base64url'));
      expect(fresh).toContain(a.secret.toString('base64url'));
      expect(fresh).toContain(a.pad.toString('base64url'));
      expect(fresh).toContain(b.pad.toString('base64url'));
      const pieces = [a.secret, a.pad, b.pad].map((x) => x.toString('base64url'));
      expect(new Set([sid, ...pieces]).size).toBe(4);
      const ok = await t()
        .http()
        .post('/csrf/action')
        .set('Cookie', `sid=${sid}`)
        .set('x-csrf-token', second);
      expect(ok.status).toBe(200);
    });
  });
});
