import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

let app: INestApplication;
let baseUrl: string;
let cookie: string;
let csrf: string;

beforeAll(async () => {
  app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
});

afterAll(async () => {
  await app.close();
});

function sessionCookie(response: Response): string | undefined {
  const header = response.headers.getSetCookie().find((line) => line.startsWith('sid='));
  return header?.split(';')[0];
}

test('a CommonJS app resolves the CommonJS build', () => {
  expect(require.resolve('nest-aura-session')).toMatch(/\/dist\/cjs\/index\.js$/);
});

test('a GET that writes a segment starts the session and returns a CSRF token', async () => {
  const response = await fetch(`${baseUrl}/count`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { count: number; csrf: string };
  expect(body.count).toBe(1);
  expect(body.csrf).toEqual(expect.any(String));
  expect(body.csrf.length).toBeGreaterThan(0);
  const sid = sessionCookie(response);
  expect(sid).toBeDefined();
  cookie = sid as string;
  csrf = body.csrf;
});

test('a second GET with the cookie reads the value back', async () => {
  const response = await fetch(`${baseUrl}/peek`, { headers: { cookie } });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ count: 1 });
});

test('a GET without the cookie sees no session', async () => {
  const response = await fetch(`${baseUrl}/peek`);
  expect(await response.json()).toEqual({ count: 0 });
  expect(sessionCookie(response)).toBeUndefined();
});

test('a POST without the CSRF token is rejected with 403', async () => {
  const response = await fetch(`${baseUrl}/reset`, { method: 'POST', headers: { cookie } });
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ reason: 'csrf_token_missing' });
});

test('a POST with a forged CSRF token is rejected with 403', async () => {
  const response = await fetch(`${baseUrl}/reset`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': 'forged' },
  });
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ reason: 'csrf_token_invalid' });
});

test('a POST with the x-csrf-token header passes the guard', async () => {
  const response = await fetch(`${baseUrl}/reset`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf },
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ count: 0 });
  const peek = await fetch(`${baseUrl}/peek`, { headers: { cookie } });
  expect(await peek.json()).toEqual({ count: 0 });
});
