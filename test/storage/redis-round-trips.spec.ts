import { startAppProcess, type AppProcess } from '../support/process/app-process.js';
import { RedisMonitor } from '../support/servers/redis-monitor.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, sidOf } from '../support/apps/test-app.js';

/**
 * Commands an app instance sends to Redis per request, counted with MONITOR on a real server (a
 * script's own commands inside Redis do not count): untouched 0, read 1, write to a loaded
 * session 2 (load + atomic commit), new session 1, a write that changes nothing 1 (no write), and
 * a regenerateId() 3 (load, the new key's compare-and-set, the old key's compare-and-move).
 */
const run = redisAvailable('Redis round trips per request') ? describe : describe.skip;
run.each(ADAPTERS)('Redis round trips per request (%s)', (adapter) => {
  let redis: RedisServer;
  let app: AppProcess;
  let monitor: RedisMonitor;
  beforeAll(async () => {
    redis = await startRedis();
    app = await startAppProcess(adapter, redis.url);
    monitor = await RedisMonitor.start(redis.port);
  });
  afterAll(async () => {
    monitor?.stop();
    await app?.stop();
    await redis?.stop();
  });

  const put = (sid: string | undefined, key: string, value: string) => {
    const req = app.http().get('/put').query({ seg: 'S', key, value });
    return (sid ? req.set('Cookie', `sid=${sid}`) : req).expect(200);
  };

  async function newSession(): Promise<string> {
    const sid = sidOf(await put(undefined, 'a', '1'))!;
    await monitor.take();
    return sid;
  }

  it('a new session costs one round trip: the atomic write', async () => {
    await monitor.take();
    await put(undefined, 'a', '1');
    expect(await monitor.take()).toEqual(['evalsha']);
  });

  it('a route that does not use the session costs none, even with a session cookie', async () => {
    const sid = await newSession();
    await app.http().get('/ping').set('Cookie', `sid=${sid}`).expect(200);
    expect(await monitor.take()).toEqual([]);
  });

  it('a read costs one round trip', async () => {
    const sid = await newSession();
    await app
      .http()
      .get('/get')
      .query({ seg: 'S', key: 'a' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(await monitor.take()).toEqual(['get']);
  });

  it('a write to a loaded session costs two: the load and the atomic commit', async () => {
    const sid = await newSession();
    await put(sid, 'b', '2');
    expect(await monitor.take()).toEqual(['get', 'evalsha']);
  });

  it('setting the value already stored writes nothing', async () => {
    const sid = await newSession();
    await put(sid, 'a', '1');
    expect(await monitor.take()).toEqual(['get']);
  });

  it("a regenerateId() costs three: the load, the new key's write and the old key's move", async () => {
    const sid = await newSession();
    const regenerated = await app.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
    expect(sidOf(regenerated)).not.toBe(sid);
    expect(await monitor.take()).toEqual(['get', 'evalsha', 'evalsha']);
  });

  it("destroy without loading costs one round trip: Keyv's own UNLINK", async () => {
    const sid = await newSession();
    await app.http().get('/destroy').set('Cookie', `sid=${sid}`).expect(200);
    expect(await monitor.take()).toEqual(['unlink']);
  });
});
