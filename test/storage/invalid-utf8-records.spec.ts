import { createHash } from 'node:crypto';
import { HardeningController } from '../support/controllers/hardening-controller.js';
import { RegistryController } from '../support/controllers/registry-controller.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { redisStore, type InspectableStore } from '../support/stores/hardening-stores.js';
import { RedisMonitor } from '../support/servers/redis-monitor.js';
import { redisAvailable, type RedisServer } from '../support/servers/redis-server.js';
import { gate } from '../support/timing/hardening-sync.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

/**
 * A session record whose bytes are not UTF-8 (other software sharing the Redis rewrote part of
 * it as raw bytes). The client decodes such a reply with U+FFFD in place of those bytes, text
 * whose SHA-1 never matches the bytes a compare-and-set script hashes: every write through the
 * cookie failed its compare-and-set, retried at once and answered 503 after `storeTimeout`,
 * thousands of calls later. Such bytes are data this library cannot read faithfully: like a key
 * of another Redis type, no session, and the next write starts a new one.
 */
const run = redisAvailable('session records that are not UTF-8') ? describe : describe.skip;

/** Rewrites the bytes stored under the Redis key `key` with `replace(bytes)`. */
async function rewriteStored(
  redis: RedisServer,
  key: string,
  replace: (bytes: Buffer) => Buffer,
): Promise<void> {
  const bulk = await redis.command(`GET ${key}`);
  const bytes = replace(Buffer.from(bulk.split('\r\n')[1]!, 'utf8'));
  const escaped = [...bytes].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
  expect(await redis.command(`SET ${key} "${escaped}"`)).toBe('+OK\r\n');
}

/** The two bytes of `marker` become 0xFF 0xFE, which no UTF-8 text holds; the rest stays JSON. */
function notUtf8At(marker: string): (bytes: Buffer) => Buffer {
  return (bytes) => {
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThanOrEqual(0);
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    return bytes;
  };
}

run.each(ADAPTERS)('a session record whose bytes are not UTF-8 (%s)', (adapter) => {
  let store: InspectableStore & { redis: RedisServer };
  let t: TestApp;
  let monitor: RedisMonitor;
  beforeAll(async () => {
    store = await redisStore();
    t = await createTestApp(adapter, { store: store.cache, storeTimeout: 500 }, [
      HardeningController,
    ]);
    monitor = await RedisMonitor.start(store.redis.port);
  });
  afterAll(async () => {
    monitor?.stop();
    await t?.close();
    await store?.close();
  });

  /** Starts a session whose segment `Init` holds `x: 'AB'`, and returns its id. */
  async function startSession(): Promise<string> {
    const res = await t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'x', value: '"AB"' })
      .expect(200);
    return sidOf(res)!;
  }

  const rewriteBytes = (sid: string, replace: (bytes: Buffer) => Buffer) =>
    rewriteStored(store.redis, `sess::${storeKeyOf(sid)}`, replace);
  const notUtf8 = notUtf8At('AB');

  /** `AB` becomes U+FFFD, as UTF-8. */
  const withReplacementChar = (bytes: Buffer) => {
    const at = bytes.indexOf('AB');
    return Buffer.concat([bytes.subarray(0, at), Buffer.from('\ufffd'), bytes.subarray(at + 2)]);
  };

  const get = (sid: string, key: string) =>
    t.http().get('/get').query({ seg: 'Init', key }).set('Cookie', `sid=${sid}`).expect(200);

  it('reads as no session, and the next write starts a new one in a few calls', async () => {
    const sid = await startSession();
    await rewriteBytes(sid, notUtf8);

    expect((await get(sid, 'x')).body).toEqual({ found: false, value: null });
    await monitor.take();
    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect((await monitor.take()).length).toBeLessThanOrEqual(3);
    const fresh = sidOf(write)!;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(sid);
    expect((await get(fresh, 'y')).body).toEqual({ found: true, value: 2 });
  });

  it('regenerateId() on it starts a new session, without a 503', async () => {
    const sid = await startSession();
    await rewriteBytes(sid, notUtf8);
    await monitor.take();
    const res = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`).expect(200);
    expect((await monitor.take()).length).toBeLessThanOrEqual(3);
    const fresh = sidOf(res)!;
    expect(fresh).not.toBe(sid);
    expect((await get(fresh, 'x')).body).toEqual({ found: false, value: null });
  });

  it('a write to a session whose bytes stopped being UTF-8 after it was loaded ends it, without a 503', async () => {
    const sid = await startSession();
    const name = `not-utf8-${adapter}`;
    const pending = t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2', gate: name })
      .set('Cookie', `sid=${sid}`)
      .then((res) => res);
    await gate(name).arrived();
    await rewriteBytes(sid, notUtf8);
    await monitor.take();
    gate(name).open();
    const write = await pending;
    expect(write.status).toBe(200);
    expect((await monitor.take()).length).toBeLessThanOrEqual(3);
    // The compare-and-set found no session it can read there: gone, like a destroyed one.
    expect(setCookieFor(write)).toMatch(/^sid=;/);
  });

  it('bytes that stop being UTF-8 yet decode to the text last read end the session at its next write', async () => {
    const sid = await startSession();
    await rewriteBytes(sid, withReplacementChar);
    expect((await get(sid, 'x')).body).toEqual({ found: true, value: '\ufffd' });
    // 0xFF decodes to U+FFFD too: the text this instance remembers, over other bytes.
    await rewriteBytes(sid, (bytes) => {
      const at = bytes.indexOf(Buffer.from('\ufffd'));
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    });
    await monitor.take();
    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2' })
      .set('Cookie', `sid=${sid}`);
    expect(write.status).toBe(200);
    expect((await monitor.take()).length).toBeLessThanOrEqual(3);
    expect(setCookieFor(write)).toMatch(/^sid=;/);
  });

  it('a record that holds U+FFFD as UTF-8 is read and written as usual', async () => {
    const sid = await startSession();
    // Written by another instance, say: this one has not seen these bytes yet.
    await rewriteBytes(sid, withReplacementChar);

    expect((await get(sid, 'x')).body).toEqual({ found: true, value: '\ufffd' });
    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'Init', key: 'y', value: '2' })
      .set('Cookie', `sid=${sid}`)
      .expect(200);
    expect(sidOf(write)).toBeUndefined();
    expect((await get(sid, 'x')).body).toEqual({ found: true, value: '\ufffd' });
    expect((await get(sid, 'y')).body).toEqual({ found: true, value: 2 });
  });
});

run.each(ADAPTERS)('registry records whose bytes are not UTF-8 (%s)', (adapter) => {
  let store: InspectableStore & { redis: RedisServer };
  let t: TestApp;
  beforeAll(async () => {
    store = await redisStore();
    t = await createTestApp(adapter, { store: store.cache, storeTimeout: 500 }, [
      RegistryController,
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  const login = (user: string) =>
    t.http().get('/users/login').query({ user }).set('User-Agent', 'ZZ-agent');
  const listOf = async (user: string) =>
    (await t.http().get('/users/list').query({ user }).expect(200)).body as unknown[];

  it("a user's index: it starts over and the next login works", async () => {
    await login('ursula').expect(200);
    const key = `sess::sess:user:${createHash('sha256').update('ursula').digest('base64url')}`;
    await rewriteStored(store.redis, key, notUtf8At('ZZ'));
    await login('ursula').expect(200);
    expect(await listOf('ursula')).toHaveLength(1);
  });

  it('a bound session: it counts as gone, and revoking it answers at once', async () => {
    const sid = sidOf(await login('AB-victor').expect(200))!;
    await rewriteStored(store.redis, `sess::${storeKeyOf(sid)}`, notUtf8At('AB'));
    const revoked = await t.http().get('/users/revoke-all').query({ user: 'AB-victor' });
    expect(revoked.status).toBe(200);
    expect(await listOf('AB-victor')).toEqual([]);
  });
});
