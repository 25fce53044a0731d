import {
  Controller,
  Get,
  Injectable,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { Session, sessionFromContext, SessionManager } from '../../src/index.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

type Auth = { user: string };
type Visits = { count: number };

const built = { guards: 0, interceptors: 0 };
const seen: { guard?: SessionManager; handler?: SessionManager } = {};

@Injectable()
class SignedInGuard implements CanActivate {
  constructor() {
    built.guards++;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = sessionFromContext(context);
    seen.guard = session;
    const user = await session.newSegment<Auth>('App\\Auth').get('user');
    if (user === undefined) throw new UnauthorizedException();
    return true;
  }
}

@Injectable()
class VisitCounter implements NestInterceptor {
  constructor() {
    built.interceptors++;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const visits = sessionFromContext(context).newSegment<Visits>('App\\Visits');
    await visits.set('count', (await visits.get('count', 0)) + 1);
    return next.handle();
  }
}

@Controller('ctx')
@UseInterceptors(VisitCounter)
class ContextController {
  @Get('login')
  async login(@Session() session: SessionManager) {
    await session.regenerateId();
    await session.newSegment<Auth>('App\\Auth').set('user', 'ann');
    return { ok: true };
  }

  @Get('private')
  @UseGuards(SignedInGuard)
  async private(@Session() session: SessionManager) {
    seen.handler = session;
    const visits = await session.newSegment<Visits>('App\\Visits').get('count');
    return { user: await session.newSegment<Auth>('App\\Auth').get('user'), visits };
  }
}

describe.each(ADAPTERS)('sessionFromContext() in guards and interceptors (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    built.guards = 0;
    built.interceptors = 0;
    t = await createTestApp(adapter, {}, [ContextController]);
  });
  afterAll(() => t.close());

  it('lets a singleton guard refuse a request without a signed-in user, starting no session', async () => {
    const res = await t.http().get('/ctx/private').expect(401);
    // The interceptor never ran: guards come first. Nothing was written, so no cookie.
    expect(sidOf(res)).toBeUndefined();
  });

  it('gives the guard, the interceptor and the handler one session, saved with the response', async () => {
    const sid = sidOf(await t.http().get('/ctx/login').expect(200))!;
    const first = await t.http().get('/ctx/private').set('Cookie', `sid=${sid}`).expect(200);
    // The login counted one visit, this request a second one before its handler read it.
    expect(first.body).toEqual({ user: 'ann', visits: 2 });
    expect(seen.guard).toBe(seen.handler);
    const second = await t.http().get('/ctx/private').set('Cookie', `sid=${sid}`).expect(200);
    expect(second.body).toEqual({ user: 'ann', visits: 3 });
  });

  it('builds the guard and the interceptor once, not once per request', () => {
    expect(built).toEqual({ guards: 1, interceptors: 1 });
  });
});
