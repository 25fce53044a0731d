import { Test } from '@nestjs/testing';
import {
  SessionModule,
  SessionOptionsError,
  type CsrfOptions,
  type SessionModuleOptions,
} from '../../src/index.js';

async function compile(options: SessionModuleOptions): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
  }).compile();
  await moduleRef.close();
}

describe('CSRF options at startup', () => {
  it.each([
    ['csrf', true, /"csrf" must be false or a plain object/],
    ['csrf.gaurd', { gaurd: false }, /"csrf\.gaurd" is not a known option/],
    ['csrf.guard', { guard: 'no' }, /"csrf\.guard"/],
    ['csrf.field', { field: '' }, /"csrf\.field"/],
    ['csrf.header', { header: 'x csrf token' }, /"csrf\.header"/],
    ['csrf.methods', { methods: 'POST' }, /"csrf\.methods"/],
    ['csrf.methods', { methods: ['POST', 'GET'] }, /"csrf\.methods" .*GET/],
    ['csrf.methods', { methods: ['head'] }, /"csrf\.methods" .*head/],
    ['csrf.trustedOrigins', { trustedOrigins: 'https://a.example' }, /"csrf\.trustedOrigins"/],
    ['csrf.trustedOrigins', { trustedOrigins: ['*'] }, /"csrf\.trustedOrigins".*"\*"/],
    ['csrf.trustedOrigins', { trustedOrigins: ['app.example.com'] }, /"csrf\.trustedOrigins"/],
    [
      'csrf.trustedOrigins',
      { trustedOrigins: ['https://app.example.com/login'] },
      /"csrf\.trustedOrigins".*\/login/,
    ],
    ['csrf.trustedOrigins', { trustedOrigins: ['null'] }, /"csrf\.trustedOrigins"/],
  ])('refuses %s = %j with a message naming it', async (_name, csrf, message) => {
    const started = compile({ csrf: csrf as CsrfOptions });
    await expect(started).rejects.toThrow(SessionOptionsError);
    await expect(started).rejects.toThrow(message);
  });

  it.each<[string, SessionModuleOptions]>([
    ['csrf: false', { csrf: false }],
    ['csrf: {}', { csrf: {} }],
    [
      'every CSRF option',
      {
        csrf: {
          guard: false,
          field: '_token',
          header: 'X-XSRF-TOKEN',
          methods: ['post', 'DELETE'],
          trustedOrigins: ['https://admin.example.com', 'http://localhost:5173'],
        },
      },
    ],
  ])('starts with %s', async (_name, options) => {
    await expect(compile(options)).resolves.toBeUndefined();
  });
});
