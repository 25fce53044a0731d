import type { Cache } from 'cache-manager';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeClusterSessionCache,
  createClusterSessionCache,
} from '../../docs/examples/redis-cluster-store.js';
import type { RedisClusterClient } from '../../src/index.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startRedisCluster, type RedisCluster } from '../support/servers/redis-cluster.js';
import { redisAvailable } from '../support/servers/redis-process.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { pollUntil } from '../support/timing/storage-polling.js';
import { createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const STORE_TIMEOUT = 1000;
/** How long a master may not answer before the cluster fails it over. */
const NODE_TIMEOUT = 2000;
/** How soon after the failover the stalled master's sessions must answer with their data. */
const RECOVERY = 10_000;

const run = redisAvailable('cluster: stalled master') ? describe : describe.skip;

run('sessions on Redis Cluster when a master stalls (stopped, its connections open)', () => {
  let cluster: RedisCluster;
  let cache: Cache;
  let t: TestApp;
  let stopped: number | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1, nodeTimeout: NODE_TIMEOUT });
    cache = await createClusterSessionCache(cluster.rootNodes.map(({ url }) => url));
    t = await createTestApp('express', { store: cache, storeTimeout: STORE_TIMEOUT }, [
      StorageController,
    ]);
  }, 30_000);
  afterAll(async () => {
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
    await sleep(STORE_TIMEOUT);
    await t?.close();
    if (cache) await closeClusterSessionCache(cache);
    await cluster?.stop();
  });

  /** The masters that own slots, asked of `port` (never of the stopped node). */
  async function mastersSeenBy(port: number): Promise<number[]> {
    const slots = JSON.parse(await cluster.cli(port, '--json', 'CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number],
    ][];
    return slots.map(([, , [, master]]) => master);
  }

  it('answers with their data again once the cluster has promoted its replica', async () => {
    // The first master of the client's map: the node a slot-map read used to start from.
    const client = (cache.stores[0] as unknown as { store: { client: RedisClusterClient } }).store
      .client;
    const victim = Number(client.masters[0]!.address.split(':').pop());
    const witness = (await cluster.masterPorts()).find((port) => port !== victim)!;
    const users: { sid: string; value: string }[] = [];
    for (let i = 0; users.length < 2 && i < 100; i++) {
      const sid = sidOf(await t.http().get(`/put/user-${i}`).expect(200))!;
      const keys = (await cluster.cli(victim, 'KEYS', `*${storeKeyOf(sid)}`)).trim();
      if (keys) users.push({ sid, value: `user-${i}` });
    }
    expect(users).toHaveLength(2);
    await cluster.waitForReplication(victim);

    stopped = cluster.nodes.find((node) => node.port === victim)!.pid!;
    process.kill(stopped, 'SIGSTOP');
    await t.http().get('/get').set('Cookie', `sid=${users[0]!.sid}`).expect(503);
    await pollUntil(
      'the replica took over',
      async () => ((await mastersSeenBy(witness)).includes(victim) ? undefined : true),
      20_000,
    );

    await pollUntil(
      "the stalled master's sessions answer with their data",
      async () => {
        const answers = await Promise.all(
          users.map((user) => t.http().get('/get').set('Cookie', `sid=${user.sid}`)),
        );
        const back = answers.every(
          (res, i) => res.status === 200 && res.body.value === users[i]!.value,
        );
        return back ? true : undefined;
      },
      RECOVERY,
    );
  }, 60_000);
});
