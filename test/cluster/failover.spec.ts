import type { Cache } from 'cache-manager';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import {
  closeClusterSessionCache,
  createClusterSessionCache,
} from '../../docs/examples/redis-cluster-store.js';
import { SessionHealthIndicator } from '../../src/index.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startRedisCluster, type RedisCluster } from '../support/servers/redis-cluster.js';
import { redisAvailable } from '../support/servers/redis-process.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { pollUntil } from '../support/timing/storage-polling.js';
import {
  ADAPTERS,
  createTestApp,
  setCookieFor,
  sidOf,
  type TestApp,
} from '../support/apps/test-app.js';

const STORE_TIMEOUT = 1000;
/** How long a master may be unreachable before the cluster fails it over. */
const NODE_TIMEOUT = 2000;
/** How soon after the cluster is `ok` again every session must answer with its data. */
const RECOVERY = 10_000;
const SESSIONS = 60;

interface StoredUser {
  sid: string;
  value: string;
  /** Port of the master that holds the session's key. */
  port: number;
}

const run = redisAvailable('cluster: failover') ? describe : describe.skip;

run.each(ADAPTERS)('sessions on Redis Cluster through a failover (%s)', (adapter) => {
  let cluster: RedisCluster;
  let cache: Cache;
  let t: TestApp;
  let health: SessionHealthIndicator;
  let users: StoredUser[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1, nodeTimeout: NODE_TIMEOUT });
    cache = await createClusterSessionCache(cluster.rootNodes.map(({ url }) => url));
    t = await createTestApp(adapter, { store: cache, storeTimeout: STORE_TIMEOUT }, [
      StorageController,
    ]);
    health = t.app.get(SessionHealthIndicator);
  }, 30_000);
  afterAll(async () => {
    await sleep(STORE_TIMEOUT);
    await t?.close();
    if (cache) await closeClusterSessionCache(cache);
    await cluster?.stop();
  });

  /** Which master holds each user's session key, asked of the masters themselves. */
  async function locate(sessions: { sid: string; value: string }[]): Promise<StoredUser[]> {
    const keysByPort = new Map<number, string[]>();
    for (const port of await cluster.masterPorts()) {
      keysByPort.set(port, (await cluster.cli(port, 'KEYS', '*')).split('\n'));
    }
    return sessions.map((session) => {
      const key = storeKeyOf(session.sid);
      const holders = [...keysByPort].filter(([, keys]) => keys.some((k) => k.endsWith(key)));
      expect(holders).toHaveLength(1);
      return { ...session, port: holders[0]![0] };
    });
  }

  /**
   * What a session route answered: its data, or a 503 that neither logs the user out nor
   * starts another session. Anything else (a 200 without the data, a 500, a new cookie) fails.
   */
  function outcome(res: Response, user: StoredUser): 'ok' | 'unavailable' {
    if (res.status === 503) {
      expect(res.body.reason).toBe('session_store_unavailable');
      expect(setCookieFor(res)).toBeUndefined();
      return 'unavailable';
    }
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: user.value });
    return 'ok';
  }

  /** Reads every user's session (`concurrency` at a time) and returns what each got. */
  async function readAll(of: StoredUser[], concurrency = 10): Promise<('ok' | 'unavailable')[]> {
    const results: ('ok' | 'unavailable')[] = [];
    for (let i = 0; i < of.length; i += concurrency) {
      const batch = of.slice(i, i + concurrency);
      const responses = await Promise.all(
        batch.map((user) => t.http().get('/get').set('Cookie', `sid=${user.sid}`)),
      );
      responses.forEach((res, j) => results.push(outcome(res, batch[j]!)));
    }
    return results;
  }

  /** Polls until every session answers with its data; returns how long that took. */
  async function everyoneBack(within: number): Promise<number> {
    const started = Date.now();
    await pollUntil(
      'every session answers 200 with its data',
      async () => ((await readAll(users)).every((r) => r === 'ok') ? true : undefined),
      within,
    );
    return Date.now() - started;
  }

  /**
   * The indicator reports down on every call, not only when its probe key happens to land on
   * the failed master (one call in three).
   */
  async function expectHealthDown(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      const result = await health.check();
      expect(result.status).toBe('down');
      expect(result.message).toMatch(/unavailable/i);
    }
  }

  /** Regenerates and destroys one session held by each master, and checks each step. */
  async function lifecycleOnEveryMaster(tag: string): Promise<void> {
    const written: { sid: string; value: string }[] = [];
    while (new Set((await locate(written)).map((u) => u.port)).size < 3) {
      const value = `${tag}-${written.length}`;
      written.push({ sid: sidOf(await t.http().get(`/put/${value}`).expect(200))!, value });
    }
    const located = await locate(written);
    for (const port of await cluster.masterPorts()) {
      const user = located.find((u) => u.port === port)!;
      const cookie = `sid=${user.sid}`;
      const regenerated = await t.http().get('/regenerate').set('Cookie', cookie).expect(200);
      const newSid = sidOf(regenerated)!;
      expect(newSid).not.toBe(user.sid);
      await t.http().get('/get').set('Cookie', `sid=${newSid}`).expect(200, { value: user.value });
      await t.http().get('/get').set('Cookie', cookie).expect(200, { value: null });
      await t.http().get('/destroy').set('Cookie', `sid=${newSid}`).expect(200);
      await t.http().get('/get').set('Cookie', `sid=${newSid}`).expect(200, { value: null });
    }
  }

  it('spreads sessions over the three masters; read, write, regenerate and destroy work', async () => {
    const sessions: { sid: string; value: string }[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const value = `user-${i}`;
      sessions.push({ sid: sidOf(await t.http().get(`/put/${value}`).expect(200))!, value });
    }
    users = await locate(sessions);
    const ports = await cluster.masterPorts();
    expect(ports).toHaveLength(3);
    for (const port of ports) expect(users.some((u) => u.port === port)).toBe(true);
    expect(await readAll(users)).toEqual(users.map(() => 'ok'));
    await lifecycleOnEveryMaster('before');
    expect((await health.check()).status).toBe('up');
  });

  it('answers 503 for the killed master, then every session again within 10 s of the failover', async () => {
    const victim = users[0]!.port;

    // Redis replicates asynchronously: on a busy machine the replica may still lag, and a write it
    // never got is lost to Redis itself, not to the session layer.
    await cluster.waitForReplication(victim);
    await cluster.kill(victim);
    // Before the cluster even notices (NODE_TIMEOUT), all users at once, the dead master's
    // interleaved with the others: a failing call must not fail the calls beside it. The other
    // masters' sessions answer; the dead master's users get a 503 that keeps their cookie.
    expect(await readAll(users, users.length)).toEqual(
      users.map((u) => (u.port === victim ? 'unavailable' : 'ok')),
    );
    await expectHealthDown();

    await cluster.waitForFailover(victim);
    const ms = await everyoneBack(RECOVERY);
    expect(ms).toBeLessThan(RECOVERY);
    expect((await health.check()).status).toBe('up');
    await lifecycleOnEveryMaster('after-failover');
  });

  it('answers 503 without a logout while slots have no node, and recovers when it returns', async () => {
    // The master promoted above has no replica left: killing it leaves its slots uncovered.
    const lost = users[0]!;
    const promoted = await cluster.masterPortOf(await keyOf(lost));
    const stranded = users.filter((u) => u.port === lost.port);

    await cluster.kill(promoted);
    expect(await readAll(stranded)).toEqual(stranded.map(() => 'unavailable'));
    // Without full slot coverage the whole cluster refuses commands (CLUSTERDOWN): 503 for all,
    // never a logout.
    await cluster.waitUntilFailed();
    expect(await readAll(users)).toEqual(users.map(() => 'unavailable'));
    await expectHealthDown();

    await cluster.restart(promoted);
    await cluster.waitUntilOk();
    const ms = await everyoneBack(RECOVERY);
    expect(ms).toBeLessThan(RECOVERY);
    expect((await health.check()).status).toBe('up');
  });

  /** The Redis key of a user's session, as stored on its master. */
  async function keyOf(user: StoredUser): Promise<string> {
    const key = storeKeyOf(user.sid);
    for (const port of await cluster.masterPorts()) {
      const found = (await cluster.cli(port, 'KEYS', `*${key}`)).trim();
      if (found) return found;
    }
    throw new Error(`no master holds the session of ${user.value}`);
  }
});
