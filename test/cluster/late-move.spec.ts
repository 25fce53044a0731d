import type { Cache } from 'cache-manager';
import {
  closeClusterSessionCache,
  createClusterSessionCache,
} from '../../docs/examples/redis-cluster-store.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { storeKeyOf } from '../support/stores/core-store.js';
import { startRedisCluster, type RedisCluster } from '../support/servers/redis-cluster.js';
import { redisAvailable } from '../support/servers/redis-process.js';
import { StorageController } from '../support/controllers/storage-controller.js';
import { pollUntil } from '../support/timing/storage-polling.js';
import { createTestApp, setCookieFor, sidOf, type TestApp } from '../support/apps/test-app.js';

const STORE_TIMEOUT = 500;

const run = redisAvailable('cluster: a login whose last step runs late') ? describe : describe.skip;

run(
  'a regenerateId() on Redis Cluster whose move outlasts storeTimeout on a stalled master',
  () => {
    let cluster: RedisCluster;
    let cache: Cache;
    let t: TestApp;
    let stopped: number | undefined;

    beforeAll(async () => {
      // No replicas, and a node timeout far beyond the stall: the master is slow, never failed over.
      cluster = await startRedisCluster({ replicas: 0, nodeTimeout: 30_000 });
      cache = await createClusterSessionCache(cluster.rootNodes.map(({ url }) => url));
      t = await createTestApp('express', { store: cache, storeTimeout: STORE_TIMEOUT }, [
        StorageController,
      ]);
    }, 30_000);
    afterAll(async () => {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await t?.close();
      if (cache) await closeClusterSessionCache(cache);
      await cluster?.stop();
    });

    it('is undone once the master answers: the browser keeps its session under the old cookie', async () => {
      const sid = sidOf(await t.http().get('/put/kept').expect(200))!;
      let owner: number | undefined;
      for (const port of await cluster.masterPorts()) {
        if ((await cluster.cli(port, 'KEYS', `*${storeKeyOf(sid)}`)).trim()) owner = port;
      }
      expect(owner).toBeDefined();
      // The new id's key is written first; the old key's master stops just before the move.
      const store = t.app.get(SessionRuntime).store;
      const move = store.move.bind(store);
      store.move = (key, expected, ttl) => {
        store.move = move;
        stopped = cluster.nodes.find((node) => node.port === owner)!.pid!;
        process.kill(stopped, 'SIGSTOP');
        return move(key, expected, ttl);
      };
      const login = await t.http().get('/regenerate').set('Cookie', `sid=${sid}`);
      expect(login.status).toBe(503);
      expect(setCookieFor(login)).toBeUndefined();
      process.kill(stopped!, 'SIGCONT');
      stopped = undefined;
      await pollUntil(
        'the old cookie reads its session again',
        async () => {
          const res = await t.http().get('/get').set('Cookie', `sid=${sid}`);
          expect(setCookieFor(res)).toBeUndefined();
          return res.status === 200 && res.body.value === 'kept' ? true : undefined;
        },
        10_000,
      );
    }, 60_000);
  },
);
