import { startCsrfApp, type CsrfTestApp } from '../support/apps/csrf-app.js';
import { expectRefused, issueToken, type IssuedToken } from '../support/http/csrf-client.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { ADAPTERS } from '../support/apps/test-app.js';

describe.each(ADAPTERS)('CSRF guard reads Sec-Fetch-Site as a token (%s)', (adapter) => {
  let t: CsrfTestApp;
  let issued: IssuedToken;

  beforeAll(async () => {
    t = await startCsrfApp(adapter, { csrf: { trustedOrigins: ['https://admin.example.test'] } }, [
      CsrfTestController,
    ]);
    issued = await issueToken(t);
  });
  afterAll(() => t.close());

  const post = (site: string) =>
    t
      .http()
      .post('/csrf/action')
      .set('Cookie', issued.cookie)
      .set('x-csrf-token', issued.token)
      .set('Sec-Fetch-Site', site);

  it.each(['Cross-Site', 'CROSS-SITE', ' cross-site '])(
    'refuses %j: csrf_cross_site',
    async (site) => {
      expectRefused(await post(site), 'csrf_cross_site');
    },
  );

  it.each(['Same-Site', 'SAME-SITE'])(
    'refuses %j from an untrusted origin: csrf_cross_site',
    async (site) => {
      expectRefused(await post(site).set('Origin', 'https://shop.example.test'), 'csrf_cross_site');
    },
  );

  it('passes Same-Site from a trusted origin, and Same-Origin', async () => {
    expect((await post('Same-Site').set('Origin', 'https://admin.example.test')).status).toBe(200);
    expect((await post('Same-Origin').set('Origin', t.origin)).status).toBe(200);
  });
});
