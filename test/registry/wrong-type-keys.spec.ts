import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RegistryController } from '../support/controllers/registry-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

/**
 * A key of another Redis type (a hash, a list) where the registry expects a user's index or a
 * session is data it cannot read, like corrupt bytes: the index starts over and such a session
 * counts as gone, instead of a 503 for every login of that user or every revocation.
 */
const run = redisAvailable('registry keys of another Redis type') ? describe : describe.skip;

run.each(ADAPTERS)('registry keys of another Redis type (%s)', (adapter) => {
  let redis: RedisServer;
  let disconnect: () => Promise<void>;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedis();
    const { cache, disconnect: close } = redisCache(redis.url);
    disconnect = close;
    t = await createTestApp(adapter, { store: cache, storeTimeout: 500 }, [RegistryController]);
  });
  afterAll(async () => {
    await t?.close();
    await disconnect?.();
    await redis?.stop();
  });

  const login = (user: string) => t.http().get('/users/login').query({ user }).expect(200);
  const listOf = async (user: string) =>
    (await t.http().get('/users/list').query({ user }).expect(200)).body as unknown[];

  it("a hash under a user's index key: the index starts over and every login works", async () => {
    const hashed = createHash('sha256').update('mallory').digest('base64url');
    const key = `sess::sess:user:${hashed}`;
    expect(await redis.command(`HSET ${key} f v`)).toBe(':1\r\n');
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const sid = sidOf(await login('mallory'))!;
    const warnings = warned.mock.calls.flat().join('\n');
    warned.mockRestore();
    expect(warnings).toContain("Unreadable index of a user's sessions");
    // The key's hash of a guessable user id would name the user in the log.
    expect(warnings).not.toContain(hashed);
    expect(await listOf('mallory')).toHaveLength(1);
    sidOf(await login('mallory'));
    expect(await listOf('mallory')).toHaveLength(2);
    await t.http().get('/users/revoke-all').query({ user: 'mallory' }).expect(200);
    const read = await t.http().get('/users/read').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toEqual({ session: null });
  });

  it.each([
    ['an envelope past its expiry that Redis keeps (no TTL)', `'{"value":"x","expires":1}'`],
    ['an envelope without a value', `'{"value":null}'`],
    ['a JSON null', 'null'],
  ])("%s under a user's index key: reads as no index, and every login works", async (_, text) => {
    const user = `walter-${text.length}`;
    const key = `sess::sess:user:${createHash('sha256').update(user).digest('base64url')}`;
    expect(await redis.command(`SET ${key} ${text}`)).toBe('+OK\r\n');
    await login(user);
    expect(await listOf(user)).toHaveLength(1);
    await login(user);
    expect(await listOf(user)).toHaveLength(2);
  });

  it('a list under a bound session key: that session is gone, and revoking it answers at once', async () => {
    const sid = sidOf(await login('trent'))!;
    const key = `sess::${storeKeyOf(sid)}`;
    await redis.command(`DEL ${key}`);
    expect(await redis.command(`RPUSH ${key} x`)).toBe(':1\r\n');
    const revoked = await t.http().get('/users/revoke-all').query({ user: 'trent' });
    expect(revoked.status).toBe(200);
    expect(await listOf('trent')).toEqual([]);
  });
});
