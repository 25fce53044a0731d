import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

let app: INestApplication;
let baseUrl: string;
let cookie: string;
let csrf: string;

before(async () => {
  app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
});

after(async () => {
  await app.close();
});

function sessionCookie(response: Response): string | undefined {
  const header = response.headers.getSetCookie().find((line) => line.startsWith('sid='));
  return header?.split(';')[0];
}

test('an ESM app resolves the ESM build', () => {
  assert.match(import.meta.resolve('nest-aura-session'), /\/dist\/esm\/index\.js$/);
});

test('a GET that writes a segment starts the session and returns a CSRF token', async () => {
  const response = await fetch(`${baseUrl}/count`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { count: number; csrf: string };
  assert.equal(body.count, 1);
  assert.equal(typeof body.csrf, 'string');
  assert.ok(body.csrf.length > 0);
  const sid = sessionCookie(response);
  assert.ok(sid, 'Set-Cookie carries the session cookie');
  cookie = sid;
  csrf = body.csrf;
});

test('a second GET with the cookie reads the value back', async () => {
  const response = await fetch(`${baseUrl}/peek`, { headers: { cookie } });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { count: 1 });
});

test('a GET without the cookie sees no session', async () => {
  const response = await fetch(`${baseUrl}/peek`);
  assert.deepEqual(await response.json(), { count: 0 });
  assert.equal(sessionCookie(response), undefined);
});

test('a POST without the CSRF token is rejected with 403', async () => {
  const response = await fetch(`${baseUrl}/reset`, { method: 'POST', headers: { cookie } });
  assert.equal(response.status, 403);
  const body = (await response.json()) as { reason?: string };
  assert.equal(body.reason, 'csrf_token_missing');
});

test('a POST with a forged CSRF token is rejected with 403', async () => {
  const response = await fetch(`${baseUrl}/reset`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': 'forged' },
  });
  assert.equal(response.status, 403);
  const body = (await response.json()) as { reason?: string };
  assert.equal(body.reason, 'csrf_token_invalid');
});

test('a POST with the x-csrf-token header passes the guard', async () => {
  const response = await fetch(`${baseUrl}/reset`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf },
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { count: 0 });
  const peek = await fetch(`${baseUrl}/peek`, { headers: { cookie } });
  assert.deepEqual(await peek.json(), { count: 0 });
});
