import type { Cache } from 'cache-manager';
import { Socket } from 'node:net';
import {
  closeClusterSessionCache,
  createClusterSessionCache,
} from '../../docs/examples/redis-cluster-store.js';
import { startRedisCluster, type RedisCluster } from '../support/servers/redis-cluster.js';
import { redisAvailable } from '../support/servers/redis-process.js';
import { pollUntil } from '../support/timing/storage-polling.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { createTestApp, setCookieFor, type TestApp } from '../support/apps/test-app.js';

const STORE_TIMEOUT = 1000;
/** Long enough that the cluster fails over neither the stalled nor the killed master during the tests. */
const NODE_TIMEOUT = 60_000;
/** The recipe's bound on its startup (1 s for the root nodes' PINGs, 2 s for the masters), plus slack. */
const STARTUP = 5000;
/** Not a speed bound: the recipe drops the connections at once; this only tells a close from a hang. */
const CLOSE_BOUND = 5000;

const run = redisAvailable('cluster: startup') ? describe : describe.skip;

/** This process's open connections to the node on `port`. */
function connectionsTo(port: number): Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (h): h is Socket => h instanceof Socket && h.remotePort === port && !h.destroyed,
  );
}

run('the Redis Cluster recipe at startup', () => {
  let cluster: RedisCluster;
  let cache: Cache | undefined;
  let t: TestApp | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1, nodeTimeout: NODE_TIMEOUT });
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    if (cache) await closeClusterSessionCache(cache);
    await cluster?.stop();
  });

  it('starts while a root node is stalled (stopped, accepting connections but never answering)', async () => {
    const [stalled, live] = await cluster.masterPorts();
    const pid = cluster.nodes.find((node) => node.port === stalled)!.pid!;
    // node-redis reads the slot map from a root node picked at random: three tries, so that
    // without the recipe's check each has an even chance to start from the stalled one.
    const roots = [stalled, live].map((port) => `redis://127.0.0.1:${port}`);
    process.kill(pid, 'SIGSTOP');
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const started = Date.now();
        const stores = await Promise.race([
          createClusterSessionCache(roots),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('the store did not start')), STARTUP).unref(),
          ),
        ]);
        expect(Date.now() - started).toBeLessThan(STARTUP);
        // Keys of the two other masters answer; the stalled one's wait (the app's storeTimeout).
        const writes = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            Promise.race([
              stores.set(`startup-${attempt}-${i}`, 'x').then(() => 'ok'),
              new Promise((resolve) => setTimeout(resolve, STORE_TIMEOUT, 'timeout').unref()),
            ]).catch(() => 'error'),
          ),
        );
        expect(writes).toContain('ok');
        // A graceful close would wait for the stalled node's replies: the recipe's close drops
        // the connections, so no client is left reconnecting once the cluster is stopped.
        await closeClusterSessionCache(stores);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 30_000);

  it("the recipe's close ends, its connections gone, while a master is stalled with commands pending on it", async () => {
    const [stalled, live] = await cluster.masterPorts();
    const pid = cluster.nodes.find((node) => node.port === stalled)!.pid!;
    const stores = await createClusterSessionCache(
      [stalled, live].map((port) => `redis://127.0.0.1:${port}`),
    );
    process.kill(pid, 'SIGSTOP');
    try {
      // Keys spread over the three masters: some of 30 wait on the stalled one.
      let answered = 0;
      for (let i = 0; i < 30; i++) {
        void stores.stores[0]!.set(`closing-${i}`, 'x').then(
          () => answered++,
          () => undefined,
        );
      }
      // The writes to the other masters answer; how soon depends on how busy the machine is.
      await pollUntil('a write to a master that is not stalled answers', async () =>
        answered > 0 ? answered : undefined,
      );
      expect(answered).toBeLessThan(30);
      expect(connectionsTo(stalled!).length).toBeGreaterThan(0);
      const closed = await Promise.race([
        closeClusterSessionCache(stores).then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, CLOSE_BOUND, 'still closing').unref()),
      ]);
      expect(closed).toBe('closed');
      // An open socket would keep the process alive after the app stopped.
      expect(connectionsTo(stalled!)).toEqual([]);
      expect(connectionsTo(live!)).toEqual([]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 30_000);

  it('starts while a master is down, its sessions answering 503 and the others 200', async () => {
    const [victim] = await cluster.masterPorts();
    await cluster.kill(victim!);
    const live = (await cluster.masterPorts()).find((port) => port !== victim);
    // node-redis starts from a root node picked at random: half the time from the dead one.
    const roots = [victim, live].map((port) => `redis://127.0.0.1:${port}`);

    const started = Date.now();
    cache = await Promise.race([
      createClusterSessionCache(roots),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the store did not start')), STARTUP).unref(),
      ),
    ]);
    expect(Date.now() - started).toBeLessThan(STARTUP);

    t = await createTestApp('express', { store: cache, storeTimeout: STORE_TIMEOUT }, [
      StorageController,
    ]);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t!.http().get(`/put/user-${i}`)),
    );
    for (const res of answers.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(503);
      expect(setCookieFor(res)).toBeUndefined();
    }
    expect(answers.some((res) => res.status === 200)).toBe(true);
  }, 30_000);
});
