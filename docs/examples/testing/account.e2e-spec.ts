// account.e2e-spec.ts
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CsrfGuard } from 'nest-aura-session';
import request from 'supertest';
import { AccountModule } from './account.module.js';

describe('account (e2e)', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AccountModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  /** A client with a cookie jar of its own, signed in as `user`. */
  async function signedIn(user: string) {
    const agent = request.agent(app.getHttpServer());
    const { body } = await agent.get('/csrf-token').expect(200);
    await agent.post('/login').set('X-CSRF-Token', body.token).send({ user }).expect(201);
    return agent;
  }

  it('keeps the user signed in and shows the welcome once', async () => {
    const agent = await signedIn('ada');
    await agent.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
    await agent.get('/me').expect(200, { user: 'ada', notice: null });
  });

  it('keeps two clients apart', async () => {
    const ada = await signedIn('ada');
    const bob = await signedIn('bob');
    await ada.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
    await bob.get('/me').expect(200, { user: 'bob', notice: 'Welcome, bob' });
  });

  it('refuses a login without a CSRF token', async () => {
    await request(app.getHttpServer()).post('/login').send({ user: 'ada' }).expect(403);
  });

  it('signs the user out after 30 idle minutes', async () => {
    const agent = await signedIn('ada');
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 29 * 60_000);
    await agent.get('/me').expect(200);
    jest.spyOn(Date, 'now').mockReturnValue(now + 58 * 60_000);
    await agent.get('/me').expect(200);
    jest.spyOn(Date, 'now').mockReturnValue(now + 89 * 60_000);
    await agent.get('/me').expect(401);
  });
});

describe('account (e2e) without the CSRF guard', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AccountModule] })
      .overrideProvider(CsrfGuard)
      .useValue({ canActivate: () => true })
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterEach(() => app.close());

  it('signs in without a token', async () => {
    const agent = request.agent(app.getHttpServer());
    await agent.post('/login').send({ user: 'ada' }).expect(201);
    await agent.get('/me').expect(200, { user: 'ada', notice: 'Welcome, ada' });
  });
});
