import { randomBytes } from 'node:crypto';
import { startCsrfApp, type CsrfTestApp } from '../support/apps/csrf-app.js';
import { expectRefused, issueToken, type IssuedToken } from '../support/http/csrf-client.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { ADAPTERS, cookiesOf, setCookieFor } from '../support/apps/test-app.js';

const EVIL = 'https://evil.example';

function otherToken(token: string): string {
  // Same shape, one byte of the masked half changed: decodes, but to another secret.
  const bytes = Buffer.from(token, 'base64url');
  bytes[40] = bytes[40]! ^ 0x01;
  return bytes.toString('base64url');
}

describe.each(ADAPTERS)('CSRF guard (%s)', (adapter) => {
  const { cache, calls, keyv } = countingCache();
  let t: CsrfTestApp;
  let issued: IssuedToken;

  beforeAll(async () => {
    t = await startCsrfApp(adapter, { store: cache }, [CsrfTestController]);
    issued = await issueToken(t);
  });
  afterAll(() => t.close());

  const post = (path = '/csrf/action') => t.http().post(path).set('Cookie', issued.cookie);

  describe('where the token may travel', () => {
    it('issues an 86-character base64url token from a GET, in a new session', async () => {
      const res = await t.http().get('/csrf/token').expect(200);
      expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(setCookieFor(res)).toMatch(/^sid=[A-Za-z0-9_-]{43};/);
    });

    it('accepts it in the urlencoded __csrf_value field', async () => {
      const res = await post().type('form').send({ __csrf_value: issued.token, other: 'x' });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { ok: true, method: 'POST' },
      });
    });

    it('accepts it in a JSON body field', async () => {
      const res = await post().send({ __csrf_value: issued.token, data: [1, 2] });
      expect(res.status).toBe(200);
    });

    it('accepts it in the x-csrf-token header', async () => {
      const res = await post().set('x-csrf-token', issued.token).send({ data: 1 });
      expect(res.status).toBe(200);
    });

    it('accepts it in a header on a request without a body', async () => {
      const res = await post().set('X-CSRF-Token', issued.token);
      expect(res.status).toBe(200);
    });

    it('falls back to the body field when the header is empty', async () => {
      const res = await post().set('x-csrf-token', '').send({ __csrf_value: issued.token });
      expect(res.status).toBe(200);
    });

    it('never reads the query string: a token only there counts as missing', async () => {
      const token = encodeURIComponent(issued.token);
      expectRefused(await post(`/csrf/action?__csrf_value=${token}`), 'csrf_token_missing');
      expectRefused(
        await post(`/csrf/action?x-csrf-token=${token}`).type('form').send({ a: '1' }),
        'csrf_token_missing',
      );
    });
  });

  describe('refusals and their reasons', () => {
    it('refuses an unsafe request without a token: csrf_token_missing', async () => {
      expectRefused(await post().send({ data: 1 }), 'csrf_token_missing');
      expectRefused(await post().type('form').send({ __csrf_value: '' }), 'csrf_token_missing');
      expectRefused(await post().send({ __csrf_value: null }), 'csrf_token_missing');
      expectRefused(await post().set('x-csrf-token', ''), 'csrf_token_missing');
    });

    it('refuses a wrong token: csrf_token_invalid', async () => {
      expectRefused(
        await post().set('x-csrf-token', otherToken(issued.token)),
        'csrf_token_invalid',
      );
      expectRefused(
        await post().set('x-csrf-token', randomBytes(64).toString('base64url')),
        'csrf_token_invalid',
      );
      expectRefused(await post().send({ __csrf_value: 'not-a-token' }), 'csrf_token_invalid');
      expectRefused(await post().send({ __csrf_value: 12345 }), 'csrf_token_invalid');
      expectRefused(await post().send({ __csrf_value: [issued.token] }), 'csrf_token_invalid');
    });

    it("refuses another session's token: csrf_token_invalid", async () => {
      const other = await issueToken(t);
      expect(other.cookie).not.toBe(issued.cookie);
      expectRefused(await post().set('x-csrf-token', other.token), 'csrf_token_invalid');
      // ...while that token is fine in its own session.
      const own = await t
        .http()
        .post('/csrf/action')
        .set('Cookie', other.cookie)
        .set('x-csrf-token', other.token);
      expect(own.status).toBe(200);
    });

    it('refuses a valid-looking token sent without a session cookie', async () => {
      const res = await t.http().post('/csrf/action').set('x-csrf-token', issued.token);
      expectRefused(res, 'csrf_token_invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses Sec-Fetch-Site: cross-site even with a valid token: csrf_cross_site', async () => {
      const res = await post()
        .set('x-csrf-token', issued.token)
        .set('Sec-Fetch-Site', 'cross-site');
      expectRefused(res, 'csrf_cross_site');
    });

    it('refuses Sec-Fetch-Site: same-site from an untrusted origin: csrf_cross_site', async () => {
      const withToken = () => post().set('x-csrf-token', issued.token);
      expectRefused(
        await withToken()
          .set('Sec-Fetch-Site', 'same-site')
          .set('Origin', 'https://sub.127.0.0.1.example'),
        'csrf_cross_site',
      );
      expectRefused(await withToken().set('Sec-Fetch-Site', 'same-site'), 'csrf_cross_site');
    });

    it('refuses an Origin other than its own: csrf_origin_mismatch', async () => {
      const withToken = () => post().set('x-csrf-token', issued.token);
      expectRefused(await withToken().set('Origin', EVIL), 'csrf_origin_mismatch');
      expectRefused(await withToken().set('Origin', 'null'), 'csrf_origin_mismatch');
      const port = new URL(t.origin).port;
      expectRefused(
        await withToken().set('Origin', `https://127.0.0.1:${port}`),
        'csrf_origin_mismatch',
      );
      expectRefused(
        await withToken().set('Origin', `http://127.0.0.1:${Number(port) + 1}`),
        'csrf_origin_mismatch',
      );
      expectRefused(
        await withToken().set('Origin', EVIL).set('Sec-Fetch-Site', 'same-origin'),
        'csrf_origin_mismatch',
      );
    });

    it('checks Fetch Metadata first, then Origin, then the token', async () => {
      expectRefused(
        await post().set('Sec-Fetch-Site', 'cross-site').set('Origin', EVIL),
        'csrf_cross_site',
      );
      expectRefused(await post().set('Origin', EVIL), 'csrf_origin_mismatch');
      expectRefused(
        await post().set('Origin', t.origin).set('x-csrf-token', 'x'),
        'csrf_token_invalid',
      );
    });

    it('refuses with Nest-shaped JSON that a client can branch on', async () => {
      const res = await post().set('Accept', 'application/json');
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body as object).sort()).toEqual([
        'error',
        'message',
        'reason',
        'statusCode',
      ]);
      expectRefused(res, 'csrf_token_missing');
    });
  });

  describe('requests that pass', () => {
    it('passes a same-origin Origin (the request Host, with its port)', async () => {
      const res = await post().set('x-csrf-token', issued.token).set('Origin', t.origin);
      expect(res.status).toBe(200);
    });

    it.each(['same-origin', 'none'])(
      'passes Sec-Fetch-Site: %s with a valid token',
      async (site) => {
        const res = await post()
          .set('x-csrf-token', issued.token)
          .set('Sec-Fetch-Site', site)
          .set('Origin', t.origin);
        expect(res.status).toBe(200);
      },
    );

    it.each(['PUT', 'PATCH', 'DELETE'] as const)('checks %s too', async (method) => {
      const call = () =>
        t
          .http()
          [method.toLowerCase() as 'put' | 'patch' | 'delete']('/csrf/action')
          .set('Cookie', issued.cookie);
      expectRefused(await call(), 'csrf_token_missing');
      expectRefused(
        await call().set('x-csrf-token', otherToken(issued.token)),
        'csrf_token_invalid',
      );
      expectRefused(
        await call().set('x-csrf-token', issued.token).set('Origin', EVIL),
        'csrf_origin_mismatch',
      );
      const ok = await call().set('x-csrf-token', issued.token);
      expect({ status: ok.status, body: ok.body }).toEqual({
        status: 200,
        body: { ok: true, method },
      });
    });

    it.each(['GET', 'HEAD', 'OPTIONS'] as const)(
      'never checks %s, however forged it looks',
      async (method) => {
        const res = await t
          .http()
          [method.toLowerCase() as 'get' | 'head' | 'options']('/csrf/untouched')
          .set('Cookie', issued.cookie)
          .set('Sec-Fetch-Site', 'cross-site')
          .set('Origin', EVIL)
          .set('x-csrf-token', 'garbage');
        expect(res.status).toBe(200);
      },
    );
  });

  describe('token lifecycle', () => {
    it('hands out a different value on every getValue(), each one valid', async () => {
      const res = await t.http().get('/csrf/two-tokens').set('Cookie', issued.cookie).expect(200);
      const { first, second } = res.body as { first: string; second: string };
      expect(first).not.toBe(second);
      const again = await issueToken(t, issued.cookie);
      expect(new Set([first, second, again.token, issued.token]).size).toBe(4);
      for (const token of [first, second, again.token, issued.token]) {
        const ok = await post().set('x-csrf-token', token);
        expect(ok.status).toBe(200);
      }
    });

    it('keeps the secret across requests: no new cookie when the session has a token', async () => {
      const res = await t.http().get('/csrf/token').set('Cookie', issued.cookie).expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('invalidates earlier tokens on regenerateId(); the new one works', async () => {
      const mine = await issueToken(t);
      const res = await t
        .http()
        .post('/csrf/regenerate-id')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token)
        .expect(200);
      const newCookie = cookiesOf(res).find((c) => c.startsWith('sid='))!;
      expect(newCookie).toBeDefined();
      expect(newCookie).not.toBe(mine.cookie);
      const newToken = (res.body as { token: string }).token;
      const withCookie = (cookie: string) => t.http().post('/csrf/action').set('Cookie', cookie);
      expectRefused(
        await withCookie(newCookie).set('x-csrf-token', mine.token),
        'csrf_token_invalid',
      );
      expectRefused(
        await withCookie(mine.cookie).set('x-csrf-token', mine.token),
        'csrf_token_invalid',
      );
      expectRefused(
        await withCookie(mine.cookie).set('x-csrf-token', newToken),
        'csrf_token_invalid',
      );
      expect((await withCookie(newCookie).set('x-csrf-token', newToken)).status).toBe(200);
      const later = await issueToken(t, newCookie);
      expect((await withCookie(newCookie).set('x-csrf-token', later.token)).status).toBe(200);
    });

    it('keeps tokens valid across clear(), which keeps the session', async () => {
      const mine = await issueToken(t);
      const cleared = await t
        .http()
        .post('/csrf/clear')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token);
      expect(cleared.status).toBe(200);
      const res = await t
        .http()
        .post('/csrf/action')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token);
      expect(res.status).toBe(200);
    });

    it('invalidates tokens on destroy(); a new session needs a new token', async () => {
      const mine = await issueToken(t);
      await t
        .http()
        .post('/csrf/destroy')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token)
        .expect(200);
      const withToken = (cookie: string, token: string) =>
        t.http().post('/csrf/action').set('Cookie', cookie).set('x-csrf-token', token);
      expectRefused(await withToken(mine.cookie, mine.token), 'csrf_token_invalid');
      const fresh = await issueToken(t, mine.cookie);
      expect(fresh.cookie).not.toBe(mine.cookie);
      expectRefused(await withToken(fresh.cookie, mine.token), 'csrf_token_invalid');
      expect((await withToken(fresh.cookie, fresh.token)).status).toBe(200);
    });

    it('refuses any token in a session that was never given one', async () => {
      const res = await t.http().post('/csrf/count-unguarded').expect(200);
      const cookie = cookiesOf(res).find((c) => c.startsWith('sid='))!;
      expect(cookie).toBeDefined();
      calls.reset();
      const refused = await t
        .http()
        .post('/csrf/action')
        .set('Cookie', cookie)
        .set('x-csrf-token', issued.token);
      expectRefused(refused, 'csrf_token_invalid');
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(calls.set).toBe(0);
    });

    it('invalidates earlier tokens on regenerateValue(); the new one works', async () => {
      const mine = await issueToken(t);
      const sibling = await issueToken(t, mine.cookie);
      const res = await t
        .http()
        .post('/csrf/regenerate-value')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token)
        .expect(200);
      const newToken = (res.body as { token: string }).token;
      const withToken = (token: string) =>
        t.http().post('/csrf/action').set('Cookie', mine.cookie).set('x-csrf-token', token);
      expectRefused(await withToken(mine.token), 'csrf_token_invalid');
      expectRefused(await withToken(sibling.token), 'csrf_token_invalid');
      expect((await withToken(newToken)).status).toBe(200);
    });
  });

  describe('store calls', () => {
    it('adds no store call and no cookie to safe-method requests', async () => {
      for (const method of ['get', 'head', 'options'] as const) {
        calls.reset();
        const res = await t
          .http()
          [method]('/csrf/untouched')
          .set('Cookie', issued.cookie)
          .set('x-csrf-token', issued.token);
        expect(res.status).toBe(200);
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(calls.total()).toBe(0);
      }
    });

    it('makes no store call when a request is refused before the token check', async () => {
      calls.reset();
      const refused = [
        await post().set('x-csrf-token', issued.token).set('Sec-Fetch-Site', 'cross-site'),
        await post().set('x-csrf-token', issued.token).set('Origin', EVIL),
        await post(),
        await t.http().post('/csrf/action').set('x-csrf-token', issued.token),
        await t.http().post('/csrf/count').send({ n: 1 }),
      ];
      expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
      expect(refused.map((r) => r.headers['set-cookie'])).toEqual(refused.map(() => undefined));
      expect(calls.total()).toBe(0);
    });

    it('reads the session once and writes nothing for a refused token', async () => {
      calls.reset();
      const res = await post().set('x-csrf-token', otherToken(issued.token));
      expectRefused(res, 'csrf_token_invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect({ get: calls.get, set: calls.set, delete: calls.delete }).toEqual({
        get: 1,
        set: 0,
        delete: 0,
      });
    });

    it('does not create a session for a token with an unknown session cookie', async () => {
      calls.reset();
      const forged = `sid=${randomBytes(32).toString('base64url')}`;
      const res = await t
        .http()
        .post('/csrf/action')
        .set('Cookie', forged)
        .set('x-csrf-token', issued.token);
      expectRefused(res, 'csrf_token_invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(calls.set).toBe(0);
    });

    it('reads the session once for a passing request whose handler does not use it', async () => {
      await issueToken(t, issued.cookie);
      calls.reset();
      const res = await post().set('x-csrf-token', issued.token);
      expect(res.status).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect({ get: calls.get, set: calls.set, delete: calls.delete }).toEqual({
        get: 1,
        set: 0,
        delete: 0,
      });
    });

    it('lets the handler reuse the session the guard read: no extra store call', async () => {
      const mine = await issueToken(t);
      calls.reset();
      const unguarded = await t.http().post('/csrf/count-unguarded').set('Cookie', mine.cookie);
      expect(unguarded.body).toEqual({ n: 1 });
      const withoutGuard = { get: calls.get, set: calls.set, delete: calls.delete };
      calls.reset();
      const guarded = await t
        .http()
        .post('/csrf/count')
        .set('Cookie', mine.cookie)
        .set('x-csrf-token', mine.token);
      expect({ status: guarded.status, body: guarded.body }).toEqual({
        status: 200,
        body: { n: 2 },
      });
      expect({ get: calls.get, set: calls.set, delete: calls.delete }).toEqual(withoutGuard);
    });

    it('answers 503, not a CSRF refusal, when the store fails during the check', async () => {
      // The adapter under Keyv fails, as a database that is down does; Keyv's `get` hides that.
      const adapter = keyv.store as { get: (key: string) => Promise<unknown> };
      const get = adapter.get;
      adapter.get = () => Promise.reject(new Error('store down'));
      try {
        const res = await post().set('x-csrf-token', issued.token);
        expect(res.status).toBe(503);
        expect((res.body as { reason: string }).reason).toBe('session_store_unavailable');
      } finally {
        adapter.get = get;
      }
      expect((await post().set('x-csrf-token', issued.token)).status).toBe(200);
    });
  });
});
