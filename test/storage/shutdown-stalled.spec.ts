import type KeyvRedis from '@keyv/redis';
import { Module } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SESSION_CACHE, SessionStoreModule } from '../../docs/examples/session-store.module.js';
import { SessionModule } from '../../src/index.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, sidOf, startTestModule } from '../support/apps/test-app.js';
import { pollUntil } from '../support/timing/storage-polling.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the Redis store guide', () => {
  it('shows the tested store module exactly', () => {
    const guide = read('docs/stores.md');
    const marker = '<!-- snippet: file=session-store.module.ts -->\n```ts\n';
    const start = guide.indexOf(marker);
    expect(start).toBeGreaterThan(-1);
    const shown = guide.slice(start + marker.length, guide.indexOf('```', start + marker.length));
    expect(shown).toBe(read('docs/examples/session-store.module.ts'));
  });
});

const STORE_TIMEOUT = 500;
/** Not a speed bound: only tells a shutdown that ends from one that waits for Redis to resume. */
const NO_HANG = STORE_TIMEOUT + 1000 + 4000;

const run = redisAvailable('storage: shutdown on a stalled Redis') ? describe : describe.skip;

run.each(ADAPTERS)('shutdown with the guide’s store module on a stalled Redis (%s)', (adapter) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    redis.thaw();
    await redis?.stop();
  });

  it('answers the requests in flight with 503, closes the app and drops the connection without waiting for Redis', async () => {
    process.env.REDIS_URL = redis.url;
    @Module({
      imports: [
        SessionModule.forRootAsync({
          imports: [SessionStoreModule],
          inject: [SESSION_CACHE],
          useFactory: (store: Cache) => ({ store, storeTimeout: STORE_TIMEOUT }),
        }),
      ],
      controllers: [StorageController],
    })
    class AppModule {}
    const t = await startTestModule(adapter, { imports: [AppModule] });
    const sid = sidOf(await t.http().get('/put/before').expect(200))!;
    // The connection must be gone, not only the app: an open socket keeps the process alive.
    const client = (t.app.get<Cache>(SESSION_CACHE).stores[0]!.store as KeyvRedis<string>).client;
    const disconnected = new Promise<'disconnected'>((resolve) =>
      client.once('end', () => resolve('disconnected')),
    );

    let arrived = 0;
    (t.app.getHttpServer() as Server).on('request', () => arrived++);

    redis.freeze();
    try {
      const inFlight = [1, 2].map(() =>
        t
          .http()
          .get('/get')
          .set('Cookie', `sid=${sid}`)
          .set('Connection', 'close')
          .then(
            (res) => res.status,
            () => 'no answer',
          ),
      );
      // Closed before they arrive, the server would refuse them instead of answering them.
      await pollUntil('both requests reach the app', async () => (arrived >= 2 ? true : undefined));
      const closing = t.close().then(() => 'closed');
      expect(await Promise.all(inFlight)).toEqual([503, 503]);
      const outcome = await Promise.race([
        closing,
        sleep(NO_HANG, 'still waiting', { ref: false }),
      ]);
      expect(outcome).toBe('closed');
      const connection = await Promise.race([
        disconnected,
        sleep(NO_HANG, 'still connected', { ref: false }),
      ]);
      expect(connection).toBe('disconnected');
    } finally {
      redis.thaw();
    }
  });
});
