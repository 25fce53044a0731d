import {
  Controller,
  Get,
  Injectable,
  Module,
  type MiddlewareConsumer,
  type NestMiddleware,
} from '@nestjs/common';
import { Segment, SessionManager, SessionModule } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import {
  ADAPTERS,
  setCookieFor,
  sidOf,
  startTestModule,
  type TestApp,
} from '../support/apps/test-app.js';

const SEG = 'App\\Visits';
type Values = { visits: number; page: string };

/** Counts every visit, as a Nest middleware that injects the session. */
@Injectable()
class VisitCounter implements NestMiddleware {
  constructor(private readonly session: SessionManager) {}

  async use(_req: unknown, _res: unknown, next: () => void): Promise<void> {
    const seg = this.session.newSegment<Values>(SEG);
    await seg.set('visits', ((await seg.get('visits')) ?? 0) + 1);
    next();
  }
}

@Controller('mw')
class VisitsController {
  // Sees the visit the middleware counted for this very request.
  @Get('seen')
  async seen(@Segment(SEG) seg: Segment<Values>) {
    await seg.set('page', 'seen');
    return { visits: (await seg.get('visits')) ?? null };
  }

  // Never asks for the session: only the middleware wrote to it.
  @Get('plain')
  plain() {
    return { ok: true };
  }
}

@Controller('mw-injected')
class InjectedController {
  constructor(private readonly session: SessionManager) {}

  @Get()
  async read() {
    return { visits: (await this.session.newSegment<Values>(SEG).get('visits')) ?? null };
  }
}

function appModule(store: ReturnType<typeof countingCache>['cache']) {
  @Module({
    imports: [SessionModule.forRoot({ store })],
    controllers: [VisitsController, InjectedController],
    providers: [VisitCounter],
  })
  class AppModule {
    configure(consumer: MiddlewareConsumer) {
      consumer.apply(VisitCounter).forRoutes(VisitsController, InjectedController);
    }
  }
  return AppModule;
}

describe.each(ADAPTERS)('a Nest middleware that injects the session (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();
  beforeAll(async () => {
    t = await startTestModule(adapter, { imports: [appModule(cache)] });
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  const http = () => t.http();

  it('shares the session with the handler, which sees the write, and both writes are saved in one commit', async () => {
    const first = await http().get('/mw/seen').expect(200);
    expect(first.body).toEqual({ visits: 1 });
    const sid = sidOf(first)!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(calls.set).toBe(1);
    const second = await http().get('/mw/seen').set('Cookie', `sid=${sid}`).expect(200);
    expect(second.body).toEqual({ visits: 2 });
    expect(setCookieFor(second)).toBeUndefined();
  });

  it('saves a session only the middleware used, and sends its cookie', async () => {
    const first = await http().get('/mw/plain').expect(200);
    expect(first.body).toEqual({ ok: true });
    const sid = sidOf(first)!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.headers['cache-control']).toBe('private, no-store');
    await http().get('/mw/plain').set('Cookie', `sid=${sid}`).expect(200);
    const seen = await http().get('/mw/seen').set('Cookie', `sid=${sid}`).expect(200);
    expect(seen.body).toEqual({ visits: 3 });
  });

  it('hands an injected SessionManager the same session', async () => {
    const first = await http().get('/mw-injected').expect(200);
    expect(first.body).toEqual({ visits: 1 });
    const sid = sidOf(first)!;
    const second = await http().get('/mw-injected').set('Cookie', `sid=${sid}`).expect(200);
    expect(second.body).toEqual({ visits: 2 });
  });
});
