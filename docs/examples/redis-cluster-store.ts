import KeyvRedis, { createClient, createCluster } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { setTimeout as sleep } from 'node:timers/promises';
import { followClusterTopology } from '../../src/index.js';

/**
 * A session store on Redis Cluster (or a managed cluster such as ElastiCache or Memorystore in
 * cluster mode) that keeps working through a master failover.
 *
 * @param rootNodes a few cluster nodes to read the slot map from, e.g. `redis://10.0.0.1:6379`;
 * list more than one, so that the slot map can be read while one of them is down.
 */
export async function createClusterSessionCache(rootNodes: string[]): Promise<Cache> {
  const cluster = createCluster({
    rootNodes: (await answering(rootNodes)).map((url) => ({ url })),
    defaults: {
      // A command for a node that is down fails at once (503) instead of waiting for it.
      disableOfflineQueue: true,
      socket: {
        // A node that does not accept the connection is given up on after 1 s, not 5 s.
        connectTimeout: 1000,
        // Retry a lost node every 100 ms at first, then at most once a second.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1000),
      },
    },
  });
  // node-redis v5 would send a failed master's slots to the dead node until it came back.
  followClusterTopology(cluster);
  // Without a listener, the `error` of a root node that is down would end the connect instead of
  // letting it try the next one. A store that fails shows as 503s and in the health check.
  cluster.on('error', () => undefined);
  // Read the slot map before serving: commands sent before it would fail. The connect waits for
  // every master too, which takes until the cluster fails over a master that is down (forever if
  // its whole shard is): past 2 s the app starts anyway, and that shard's sessions get 503 until
  // it answers. If every root node refuses the connection, the connect fails: the app does not
  // start.
  const connecting = cluster.connect();
  await Promise.race([connecting, sleep(2000, undefined, { ref: false })]);
  const store = new KeyvRedis(cluster, { throwOnErrors: true, connectionTimeout: 1000 });
  const keyv = new Keyv({ store, namespace: 'sess', throwOnErrors: true });
  return createCache({ stores: [keyv] });
}

/**
 * Closes the store's cluster client, for the app's shutdown, by dropping its connections: every
 * request has been answered by then, and a graceful close waits for the replies of every node,
 * which a stalled node (a hung host, a stopped process) never sends, even after the cluster has
 * failed it over. (A `destroy()` after such a `close()` finds the client closed and drops
 * nothing.)
 */
export async function closeClusterSessionCache(cache: Cache): Promise<void> {
  const cluster = (cache.stores[0]!.store as KeyvRedis<string>).client;
  if (cluster.isOpen) cluster.destroy();
}

/**
 * The root nodes that answer a PING within 1 s, or all of them if none does. node-redis reads the
 * slot map from a root node picked at random and waits for its answer without a time limit: a
 * node that accepts connections but never answers (a stopped process, a hung host) would hold
 * the connect, and every request would get 503, until it answers.
 */
async function answering(rootNodes: string[]): Promise<string[]> {
  const answers = await Promise.all(
    rootNodes.map(async (url) => {
      const client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { connectTimeout: 1000, reconnectStrategy: false },
      });
      client.on('error', () => undefined);
      const pong = client
        .connect()
        .then(() => client.ping())
        .then(
          () => true,
          () => false,
        );
      const answered = await Promise.race([pong, sleep(1000, false)]);
      if (client.isOpen) client.destroy();
      return answered;
    }),
  );
  const live = rootNodes.filter((_, i) => answers[i]);
  return live.length > 0 ? live : rootNodes;
}
