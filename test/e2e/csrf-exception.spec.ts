import { Catch, type ArgumentsHost, type ExceptionFilter, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CsrfException, type CsrfRejectionReason } from '../../src/index.js';
import { CsrfTestController } from '../support/controllers/csrf-controllers.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/apps/test-app.js';

/** What an app does with a refusal it catches by class: its own status and body. */
@Catch(CsrfException)
class FormExpiredFilter implements ExceptionFilter {
  catch(error: CsrfException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<{
      status?: (code: number) => { json: (body: unknown) => void };
      code?: (code: number) => { send: (body: unknown) => void };
    }>();
    const body = { caught: error.reason, status: error.getStatus() };
    if (reply.code) reply.code(419).send(body);
    else reply.status!(419).json(body);
  }
}

describe('CsrfException', () => {
  it('is a 403 that carries the reason in its body and as a property', () => {
    const reason: CsrfRejectionReason = 'csrf_token_missing';
    const error = new CsrfException(reason, 'CSRF token missing');
    expect(error.getStatus()).toBe(403);
    expect(error.reason).toBe(reason);
    expect(error.getResponse()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'CSRF token missing',
      reason,
    });
  });

  describe.each(ADAPTERS)('thrown by the guard (%s)', (adapter) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(
        adapter,
        {},
        [CsrfTestController],
        [{ provide: APP_FILTER, useClass: FormExpiredFilter } as unknown as Type],
      );
    });
    afterAll(() => t.close());

    it('can be caught by class with an app filter', async () => {
      const res = await t.http().post('/csrf/action').send({});
      expect(res.status).toBe(419);
      expect(res.body).toEqual({ caught: 'csrf_token_missing', status: 403 });
    });

    it('carries the reason of whichever check refused', async () => {
      const res = await t.http().post('/csrf/action').set('Sec-Fetch-Site', 'cross-site').send({});
      expect(res.body).toEqual({ caught: 'csrf_cross_site', status: 403 });
    });
  });
});
