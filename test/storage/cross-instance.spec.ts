import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { createAsyncTestApp } from '../support/apps/storage-async-app.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { sidOf, type AdapterName, type TestApp } from '../support/apps/test-app.js';

// Each app builds its own Redis client in its forRootAsync factory, as two processes would.
const PAIRS: [AdapterName, AdapterName][] = [
  ['express', 'fastify'],
  ['fastify', 'express'],
  ['express', 'express'],
  ['fastify', 'fastify'],
];

const run = redisAvailable('storage: sessions shared across instances') ? describe : describe.skip;

run('sessions shared across instances through Redis', () => {
  let redis: RedisServer;
  const clients: ReturnType<typeof redisCache>[] = [];
  const apps: TestApp[] = [];

  async function instance(adapter: AdapterName, keyPrefix: string): Promise<TestApp> {
    const app = await createAsyncTestApp(
      adapter,
      {
        useFactory: () => {
          const client = redisCache(redis.url);
          clients.push(client);
          return { store: client.cache, keyPrefix, storeTimeout: 1000 };
        },
      },
      [StorageController],
    );
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const client of clients) await client.disconnect();
    await redis?.stop();
  });

  describe.each(PAIRS)('instance A on %s, instance B on %s', (adapterA, adapterB) => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      a = await instance(adapterA, 'shop:');
      b = await instance(adapterB, 'shop:');
    });

    it('reads on B what A wrote, and on A what B wrote, under the same cookie', async () => {
      const written = await a.http().get('/put/alpha').expect(200);
      const sid = sidOf(written)!;
      expect(sid).toHaveLength(43);
      const cookie = `sid=${sid}`;

      const readOnB = await b.http().get('/get').set('Cookie', cookie).expect(200);
      expect(readOnB.body).toEqual({ value: 'alpha' });
      expect(readOnB.headers['set-cookie']).toBeUndefined();

      const writtenOnB = await b.http().get('/put/beta').set('Cookie', cookie).expect(200);
      expect(writtenOnB.headers['set-cookie']).toBeUndefined();

      const readOnA = await a.http().get('/get').set('Cookie', cookie).expect(200);
      expect(readOnA.body).toEqual({ value: 'beta' });
    });

    it('delivers a flash value set on A exactly once, wherever it is read', async () => {
      const sid = sidOf(await a.http().get('/flash/saved').expect(200))!;
      const cookie = `sid=${sid}`;
      const first = await b.http().get('/flash').set('Cookie', cookie).expect(200);
      expect(first.body).toEqual({ message: 'saved' });
      const again = await a.http().get('/flash').set('Cookie', cookie).expect(200);
      expect(again.body).toEqual({ message: null });
    });

    it('accepts on B a CSRF token A issued', async () => {
      const issued = await a.http().get('/token').expect(200);
      const cookie = `sid=${sidOf(issued)!}`;
      await b.http().post('/post').set('Cookie', cookie).expect(403);
      await b
        .http()
        .post('/post')
        .set('Cookie', cookie)
        .set('x-csrf-token', issued.body.token)
        .expect(201);
    });

    it('ends the session on A when B destroys it', async () => {
      const sid = sidOf(await a.http().get('/put/gone').expect(200))!;
      const cookie = `sid=${sid}`;
      await b.http().get('/destroy').set('Cookie', cookie).expect(200);
      const read = await a.http().get('/get').set('Cookie', cookie).expect(200);
      expect(read.body).toEqual({ value: null });
    });

    it('kills the old id on B when A regenerates it, and B knows the new one', async () => {
      const oldSid = sidOf(await a.http().get('/put/kept').expect(200))!;
      const regenerated = await a.http().get('/regenerate').set('Cookie', `sid=${oldSid}`);
      expect(regenerated.status).toBe(200);
      const newSid = sidOf(regenerated)!;
      expect(newSid).toHaveLength(43);
      expect(newSid).not.toBe(oldSid);
      const viaNew = await b.http().get('/get').set('Cookie', `sid=${newSid}`).expect(200);
      expect(viaNew.body).toEqual({ value: 'kept' });
      const viaOld = await b.http().get('/get').set('Cookie', `sid=${oldSid}`).expect(200);
      expect(viaOld.body).toEqual({ value: null });
    });
  });

  it('keys every session under keyPrefix by a hash, never by the raw id', async () => {
    const app = await instance('express', 'shop:');
    const sid = sidOf(await app.http().get('/put/listed').expect(200))!;
    const keys = await redis.command('KEYS *');
    expect(keys).toContain('shop:');
    expect(keys).not.toContain(sid);
  });

  it('keeps apps with different keyPrefixes apart on one Redis', async () => {
    const shop = await instance('express', 'shop:');
    const other = await instance('fastify', 'other:');
    const sid = sidOf(await shop.http().get('/put/private').expect(200))!;
    const read = await other.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toEqual({ value: null });
    const own = await shop.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
    expect(own.body).toEqual({ value: 'private' });
  });
});
