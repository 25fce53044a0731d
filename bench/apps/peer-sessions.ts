import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import type { StoreKind } from './variants.js';

// Both libraries sign their cookie; the secret only has to be long enough for @fastify/session.
const SECRET = 'bench-secret-bench-secret-bench-secret';

/**
 * Installs express-session as its README recommends for apps that save only modified sessions,
 * with its MemoryStore or with connect-redis set up as connect-redis' README does.
 */
export async function useExpressSession(
  app: NestExpressApplication,
  store: StoreKind,
  redisUrl: string,
): Promise<void> {
  let redisStore: RedisStore | undefined;
  if (store === 'redis') {
    const client = createClient({ url: redisUrl });
    await client.connect();
    redisStore = new RedisStore({ client, prefix: 'es:' });
  }
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store: redisStore }));
}

/** Registers @fastify/session with its defaults, except a cookie that plain HTTP can carry. */
export async function useFastifySession(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    saveUninitialized: false,
    cookie: { secure: false },
  });
}
