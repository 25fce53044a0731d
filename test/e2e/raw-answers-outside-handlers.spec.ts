import {
  Controller,
  Get,
  Injectable,
  Logger,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type MiddlewareConsumer,
  type NestInterceptor,
  type NestMiddleware,
} from '@nestjs/common';
import { afterEach, beforeAll, afterAll, describe, expect, it, jest } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { EMPTY, type Observable } from 'rxjs';
import { Segment, SessionManager, SessionModule, sessionFromContext } from '../../src/index.js';
import { COOKIE_NOT_SENT_WARNING } from '../../src/http/fastify-middleware-exchange.js';
import {
  ADAPTERS,
  setCookieFor,
  sidOf,
  startTestModule,
  type TestApp,
} from '../support/apps/test-app.js';
import { rawResponseOf } from '../support/http/raw-response.js';

const SEG = 'App\\Gate';
type Values = { notice: string };

function redirect(res: ServerResponse): void {
  res.writeHead(302, { location: '/gate/notice' });
  res.end();
}

/** Turns the visitor away with a flash notice, answering on the raw response after a commit. */
@Injectable()
class GateMiddleware implements NestMiddleware {
  constructor(private readonly session: SessionManager) {}

  async use(_req: unknown, res: ServerResponse): Promise<void> {
    await this.session.newSegment<Values>(SEG).setFlash('notice', 'denied');
    await this.session.commit();
    redirect(res);
  }
}

/** The same, as an interceptor, which gets Fastify's reply. */
@Injectable()
class GateInterceptor implements NestInterceptor {
  async intercept(context: ExecutionContext, _next: CallHandler): Promise<Observable<never>> {
    const session = sessionFromContext(context);
    await session.newSegment<Values>(SEG).setFlash('notice', 'denied');
    await session.commit();
    const response = context.switchToHttp().getResponse<{ hijack?: () => void }>();
    response.hijack?.();
    redirect(rawResponseOf(response));
    return EMPTY;
  }
}

@Controller('gate')
class GateController {
  @Get('middleware')
  middleware(): string {
    return 'never reached';
  }

  @Get('interceptor')
  @UseInterceptors(GateInterceptor)
  interceptor(): string {
    return 'never reached';
  }

  @Get('notice')
  async notice(@Segment(SEG) seg: Segment<Values>) {
    return { notice: (await seg.getFlash('notice')) ?? null };
  }
}

@Module({
  imports: [SessionModule.forRoot()],
  controllers: [GateController],
  providers: [GateMiddleware],
})
class GateModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(GateMiddleware).forRoutes('gate/middleware');
  }
}

describe.each(ADAPTERS)(
  'answers on the raw response after a commit, outside handlers (%s)',
  (adapter) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestModule(adapter, { imports: [GateModule] });
    });
    afterAll(() => t.close());
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('an interceptor’s answer carries the new session’s cookie, marked private', async () => {
      const res = await t.http().get('/gate/interceptor').expect(302);
      expect(res.headers['cache-control']).toBe('private, no-store');
      const sid = sidOf(res);
      expect(sid).toBeDefined();
      const next = await t.http().get('/gate/notice').set('Cookie', `sid=${sid}`).expect(200);
      expect(next.body).toEqual({ notice: 'denied' });
    });

    if (adapter === 'express') {
      it('a middleware’s answer carries the new session’s cookie', async () => {
        const res = await t.http().get('/gate/middleware').expect(302);
        expect(res.headers['cache-control']).toBe('private, no-store');
        const next = await t
          .http()
          .get('/gate/notice')
          .set('Cookie', `sid=${sidOf(res)}`);
        expect(next.body).toEqual({ notice: 'denied' });
      });
    } else {
      it('a middleware’s answer cannot carry the cookie, and that is logged once', async () => {
        const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
        const res = await t.http().get('/gate/middleware').expect(302);
        expect(setCookieFor(res)).toBeUndefined();
        await t.http().get('/gate/middleware').expect(302);
        // The request closes once its response has finished: let that event run.
        await new Promise((resolve) => setImmediate(resolve));
        const warnings = warn.mock.calls.filter(([message]) => message === COOKIE_NOT_SENT_WARNING);
        expect(warnings).toHaveLength(1);
      });
    }
  },
);
