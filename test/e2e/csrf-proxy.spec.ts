import { startCsrfApp, type CsrfTestApp } from '../support/apps/csrf-app.js';
import { expectRefused, issueToken, type IssuedToken } from '../support/http/csrf-client.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { ADAPTERS, setCookieFor } from '../support/apps/test-app.js';

const PUBLIC = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'app.example.com' };

describe.each(ADAPTERS)('CSRF behind a reverse proxy (%s)', (adapter) => {
  describe('with trust proxy on', () => {
    let t: CsrfTestApp;
    let issued: IssuedToken;
    beforeAll(async () => {
      t = await startCsrfApp(adapter, {}, [CsrfTestController], { trustProxy: true });
      issued = await issueToken(t);
    });
    afterAll(() => t.close());

    const post = () =>
      t.http().post('/csrf/action').set('Cookie', issued.cookie).set('x-csrf-token', issued.token);

    it('takes its own origin from X-Forwarded-Proto and X-Forwarded-Host', async () => {
      const res = await post().set(PUBLIC).set('Origin', 'https://app.example.com');
      expect(res.status).toBe(200);
      const withPort = await post()
        .set({ ...PUBLIC, 'X-Forwarded-Host': 'app.example.com:8443' })
        .set('Origin', 'https://app.example.com:8443');
      expect(withPort.status).toBe(200);
    });

    it('takes the host from the Host header when the proxy passes it through', async () => {
      const res = await post()
        .set('Host', 'app.example.com')
        .set('X-Forwarded-Proto', 'https')
        .set('Origin', 'https://app.example.com');
      expect(res.status).toBe(200);
    });

    it('then no longer counts the internal address as its own origin', async () => {
      expectRefused(await post().set(PUBLIC).set('Origin', t.origin), 'csrf_origin_mismatch');
      expectRefused(
        await post().set(PUBLIC).set('Origin', 'http://app.example.com'),
        'csrf_origin_mismatch',
      );
    });

    it('falls back to the Host header when no proxy headers arrive', async () => {
      expect((await post().set('Origin', t.origin)).status).toBe(200);
    });

    it("marks the cookie Secure when the proxy says the client used HTTPS (secure: 'auto')", async () => {
      const res = await t.http().get('/csrf/token').set(PUBLIC).expect(200);
      expect(setCookieFor(res)).toMatch(/;\s*Secure/i);
    });
  });

  describe('with trust proxy off', () => {
    let t: CsrfTestApp;
    let issued: IssuedToken;
    beforeAll(async () => {
      t = await startCsrfApp(adapter, {}, [CsrfTestController]);
      issued = await issueToken(t);
    });
    afterAll(() => t.close());

    const post = () =>
      t.http().post('/csrf/action').set('Cookie', issued.cookie).set('x-csrf-token', issued.token);

    it('ignores X-Forwarded-* headers anyone could send', async () => {
      expectRefused(
        await post().set(PUBLIC).set('Origin', 'https://app.example.com'),
        'csrf_origin_mismatch',
      );
      expect((await post().set(PUBLIC).set('Origin', t.origin)).status).toBe(200);
    });

    it('refuses HTTPS pages when TLS ends at a proxy it does not trust', async () => {
      const res = await post()
        .set('Host', 'app.example.com')
        .set('X-Forwarded-Proto', 'https')
        .set('Origin', 'https://app.example.com');
      expectRefused(res, 'csrf_origin_mismatch');
    });

    it('does not mark the cookie Secure on a plain HTTP request', async () => {
      const res = await t.http().get('/csrf/token').set(PUBLIC).expect(200);
      expect(setCookieFor(res)).toBeDefined();
      expect(setCookieFor(res)).not.toMatch(/;\s*Secure/i);
    });
  });
});
