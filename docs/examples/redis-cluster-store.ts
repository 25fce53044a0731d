import KeyvRedis, { createCluster } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { followClusterTopology } from '../../src/index.js';

/**
 * A session store on Redis Cluster (or a managed cluster such as ElastiCache or Memorystore in
 * cluster mode) that keeps working through a master failover.
 *
 * @param rootNodes a few cluster nodes to read the slot map from, e.g. `redis://10.0.0.1:6379`;
 * list more than one, so that the app can start while one of them is down.
 */
export async function createClusterSessionCache(rootNodes: string[]): Promise<Cache> {
  const cluster = createCluster({
    rootNodes: rootNodes.map((url) => ({ url })),
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
  // Connect before serving: commands sent while the slot map is still being read would fail.
  await cluster.connect();
  const store = new KeyvRedis(cluster, { throwOnErrors: true, connectionTimeout: 1000 });
  const keyv = new Keyv({ store, namespace: 'sess', throwOnErrors: true });
  return createCache({ stores: [keyv] });
}
