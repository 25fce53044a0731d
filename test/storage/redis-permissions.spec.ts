import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createCache } from 'cache-manager';
import type KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { StorageController } from '../support/controllers/storage-controller.js';
import { redisCache } from '../support/stores/redis-cache.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/servers/redis-server.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const run = redisAvailable('storage: Redis permissions') ? describe : describe.skip;

/** What the module warned while `work` ran. */
async function warningsOf(work: () => Promise<void>): Promise<string> {
  const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  try {
    await work();
    return warned.mock.calls.flat().join('\n');
  } finally {
    warned.mockRestore();
  }
}

run.each(ADAPTERS)('a Redis user the server refuses SCRIPT LOAD (%s)', (adapter) => {
  let redis: RedisServer;
  let t: TestApp | undefined;
  let disconnect: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.command('ACL SETUSER noload on >secret ~* +@all -script|load');
  });
  afterAll(async () => {
    await t?.close();
    await disconnect?.();
    await redis?.stop();
  });

  it('is a connected store: no "not reachable" warning, and sessions are stored', async () => {
    const warnings = await warningsOf(async () => {
      const made = redisCache(redis.url.replace('redis://', 'redis://noload:secret@'));
      disconnect = made.disconnect;
      t = await createTestApp(adapter, { store: made.cache }, [StorageController]);
    });
    expect(warnings).not.toMatch(/not reachable/);
    const sid = sidOf(await t!.http().get('/put/kept').expect(200))!;
    const read = await t!.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
    expect(read.body).toMatchObject({ value: 'kept' });
  });
});

/**
 * An ACL written for Keyv allows the one command its adapter removes keys with: `UNLINK` by
 * default, `DEL` with `useUnlink: false`. A destroy must send that command, or it answers 503.
 */
run.each(ADAPTERS)('a Redis user allowed only the remove command Keyv sends (%s)', (adapter) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.command('ACL SETUSER nodel on >secret ~* +@all -del');
    await redis.command('ACL SETUSER nounlink on >secret ~* +@all -unlink');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    ['nodel', true],
    ['nounlink', false],
  ])('destroys sessions as %s with useUnlink %s', async (user, useUnlink) => {
    const made = redisCache(redis.url.replace('redis://', `redis://${user}:secret@`));
    (made.cache.stores[0]!.store as KeyvRedis<unknown>).useUnlink = useUnlink;
    const t = await createTestApp(adapter, { store: made.cache }, [StorageController]);
    try {
      const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
      await t.http().get('/destroy').set('Cookie', `sid=${sid}`).expect(200);
      const read = await t.http().get('/get').set('Cookie', `sid=${sid}`).expect(200);
      expect(read.body).toEqual({ value: null });
    } finally {
      await t.close();
      await made.disconnect();
    }
  });
});

describe('a cache of several stores', () => {
  it('is warned about at startup: a memory layer keeps serving what other instances ended', async () => {
    let t: TestApp | undefined;
    const warnings = await warningsOf(async () => {
      const store = createCache({ stores: [new Keyv(), new Keyv()] });
      t = await createTestApp('express', { store }, [StorageController]);
    });
    await t?.close();
    expect(warnings).toMatch(
      /The session store is a cache of 2 stores: its commits are not atomic across instances/,
    );
  });
});

/**
 * A client that cannot connect fails each call with a message that does not say why ("The client
 * is offline"): the warnings name what Redis answered, so a wrong password does not read as an
 * outage. The password itself never appears.
 */
run.each(ADAPTERS)('a Redis password the server refuses (%s)', (adapter) => {
  const password = 'n0t-the-password';
  let redis: RedisServer;
  let t: TestApp | undefined;
  let disconnect: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.command('ACL SETUSER app on >secret ~* +@all');
  });
  afterAll(async () => {
    await t?.close();
    await disconnect?.();
    await redis?.stop();
  });

  it('is named in the warnings at startup and on use', async () => {
    const warnings = await warningsOf(async () => {
      const made = redisCache(redis.url.replace('redis://', `redis://app:${password}@`));
      disconnect = made.disconnect;
      t = await createTestApp(adapter, { store: made.cache }, [StorageController]);
      const refused = await t.http().get('/put/kept').expect(503);
      expect(refused.body.reason).toBe('session_store_unavailable');
    });
    expect(warnings).toMatch(
      /not reachable at startup \(.*the Redis client's last error: WRONGPASS/,
    );
    expect(warnings).toMatch(
      /Session store unavailable: commit failed \(.*the Redis client's last error: WRONGPASS/,
    );
    expect(warnings).not.toContain(password);
  });
});
