import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import {
  followClusterTopology,
  isRedisClusterClient,
  type RedisClusterClient,
} from '../../src/storage/cluster-topology.js';

/** A node client whose readiness the test sets. */
class FakeNodeClient {
  destroyed = false;
  isOpen = true;
  constructor(public isReady: boolean) {}
  ping: () => Promise<unknown> = () => Promise.resolve('PONG');
  /** As node-redis's: a closed client refuses to be destroyed again. */
  destroy(): void {
    if (!this.isOpen) throw new Error('The client is closed');
    this.destroyed = true;
    this.isOpen = this.isReady = false;
  }
}

/**
 * A stand-in for a node-redis v5 cluster client: masters with node clients, and a `_slots` whose
 * `rediscover` records where it started and applies the slot map the test says the cluster has.
 */
class FakeCluster extends EventEmitter implements RedisClusterClient {
  isOpen = true;
  masters: { address: string; client?: FakeNodeClient }[];
  replicas: { address: string; client?: FakeNodeClient }[] = [];
  /** The masters a rediscovery will find: what the cluster reports after a failover. */
  clusterMasters: { address: string; client?: FakeNodeClient }[];
  readonly rediscoveredFrom: FakeNodeClient[] = [];
  readonly _slots: { rediscover: (startWith: FakeNodeClient) => Promise<void> } = {
    rediscover: async (startWith: FakeNodeClient) => {
      this.rediscoveredFrom.push(startWith);
      this.masters = this.clusterMasters;
    },
  };

  constructor(readyFlags: boolean[]) {
    super();
    this.masters = readyFlags.map((ready, i) => ({
      address: `127.0.0.1:700${i}`,
      client: new FakeNodeClient(ready),
    }));
    this.clusterMasters = this.masters;
  }

  nodeClient(node: Parameters<RedisClusterClient['nodeClient']>[0]) {
    return node.client!;
  }
}

describe('followClusterTopology', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('re-reads the slot map from a live master every interval while a master is down', async () => {
    const cluster = new FakeCluster([true, true, true]);
    followClusterTopology(cluster, { interval: 500 });
    const [, live] = cluster.masters;
    cluster.masters[0]!.client!.isReady = false;
    cluster.emit('node-error', new Error('connect ECONNREFUSED'), { port: 7000 });
    await jest.advanceTimersByTimeAsync(1600);
    // Once at the event, then at 500, 1000 and 1500 ms; never from the dead node.
    expect(cluster.rediscoveredFrom).toHaveLength(4);
    expect(cluster.rediscoveredFrom.every((client) => client.isReady)).toBe(true);
    expect(cluster.rediscoveredFrom).toContain(live!.client);
  });

  it('goes quiet once the slot map no longer names the dead master', async () => {
    const cluster = new FakeCluster([false, true, true]);
    followClusterTopology(cluster, { interval: 500 });
    cluster.emit('node-reconnecting', { port: 7000 });
    await jest.advanceTimersByTimeAsync(1000);
    const before = cluster.rediscoveredFrom.length;
    // The cluster promotes the replica: the next read replaces the dead master.
    cluster.clusterMasters = [
      { address: '127.0.0.1:7100', client: new FakeNodeClient(true) },
      ...cluster.masters.slice(1),
    ];
    await jest.advanceTimersByTimeAsync(5000);
    expect(cluster.rediscoveredFrom.length).toBe(before + 1);
  });

  it('does nothing while every master answers, nor after the client is closed', async () => {
    const cluster = new FakeCluster([true, true, true]);
    followClusterTopology(cluster);
    cluster.emit('node-error', new Error('a replica blip'), { port: 7005 });
    await jest.advanceTimersByTimeAsync(3000);
    expect(cluster.rediscoveredFrom).toHaveLength(0);

    cluster.masters[1]!.client!.isReady = false;
    cluster.isOpen = false;
    cluster.emit('node-error', new Error('closing'), { port: 7001 });
    await jest.advanceTimersByTimeAsync(3000);
    expect(cluster.rediscoveredFrom).toHaveLength(0);
  });

  it('closes the node clients of a slot map read while the cluster client was being closed', async () => {
    const cluster = new FakeCluster([false, true, true]);
    const follower = followClusterTopology(cluster);
    let read!: () => void;
    const rediscover = cluster._slots.rediscover;
    cluster._slots.rediscover = async (startWith) => {
      await new Promise<void>((resolve) => (read = resolve));
      // node-redis connects the nodes of the map it read, closed client or not.
      cluster.clusterMasters = [1, 2, 3].map((n) => ({
        address: `127.0.0.1:710${n}`,
        client: new FakeNodeClient(true),
      }));
      // One of them closed already (its node refused the connection for good).
      cluster.clusterMasters[0]!.client!.isOpen = false;
      return rediscover(startWith);
    };
    const refreshed = follower.refresh();
    await jest.advanceTimersByTimeAsync(0);
    cluster.isOpen = false;
    read();
    await refreshed;
    expect(cluster.masters.map((node) => node.client!.isOpen)).toEqual([false, false, false]);
    expect(cluster.masters.map((node) => node.client!.destroyed)).toEqual([false, true, true]);
  });

  it('leaves the node clients of a slot map read by an open cluster client alone', async () => {
    const cluster = new FakeCluster([false, true, true]);
    await followClusterTopology(cluster).refresh();
    expect(cluster.rediscoveredFrom).toHaveLength(1);
    expect(cluster.masters.some((node) => node.client!.destroyed)).toBe(false);
  });

  it('follows one client once, and refuses a non-positive interval', () => {
    const cluster = new FakeCluster([true]);
    const first = followClusterTopology(cluster);
    expect(followClusterTopology(cluster)).toBe(first);
    expect(cluster.listenerCount('node-error')).toBe(1);
    expect(() => followClusterTopology(new FakeCluster([true]), { interval: 0 })).toThrow(
      /interval must be a positive number/,
    );
    expect(() => followClusterTopology(new FakeCluster([true]), { timeout: -1 })).toThrow(
      /timeout must be a positive number/,
    );
  });

  it('reads the slot map from a node that answers a PING, not from a stalled one', async () => {
    const cluster = new FakeCluster([true, true, true]);
    // Stopped, not dead: its connection stays up and it answers nothing.
    cluster.masters[0]!.client!.ping = () => new Promise(() => undefined);
    await followClusterTopology(cluster).refresh();
    expect(cluster.rediscoveredFrom).toEqual([cluster.masters[1]!.client]);
  });

  it('gives up on a read of the slot map that hangs, and reads again on the next refresh', async () => {
    const cluster = new FakeCluster([true, true]);
    const rediscover = cluster._slots.rediscover;
    let calls = 0;
    cluster._slots.rediscover = (startWith) => {
      calls++;
      return calls === 1 ? new Promise(() => undefined) : rediscover(startWith);
    };
    const follower = followClusterTopology(cluster, { timeout: 1000 });
    let settled = false;
    void follower.refresh().then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(2000);
    expect(settled).toBe(true);
    await follower.refresh();
    expect(calls).toBe(2);
  });

  it('re-reads the slot map when a watched command fails or hangs, once per interval', async () => {
    const cluster = new FakeCluster([true, true, true]);
    const follower = followClusterTopology(cluster, { interval: 500 });
    const fast = follower.watch(Promise.resolve('PONG'));
    await expect(fast).resolves.toBe('PONG');
    await jest.advanceTimersByTimeAsync(1000);
    expect(cluster.rediscoveredFrom).toHaveLength(0);

    // The command's own caller still sees its failure.
    await expect(follower.watch(Promise.reject(new Error('offline')))).rejects.toThrow('offline');
    await expect(follower.watch(Promise.reject(new Error('offline')))).rejects.toThrow('offline');
    await jest.advanceTimersByTimeAsync(0);
    expect(cluster.rediscoveredFrom).toHaveLength(1);

    // A master that stalled: the command neither answers nor fails.
    void follower.watch(new Promise(() => undefined));
    await jest.advanceTimersByTimeAsync(500);
    expect(cluster.rediscoveredFrom).toHaveLength(2);
  });

  it('recognizes a cluster client and nothing else', () => {
    expect(isRedisClusterClient(new FakeCluster([true]))).toBe(true);
    expect(isRedisClusterClient({ isOpen: true, get: () => undefined })).toBe(false);
    expect(isRedisClusterClient(undefined)).toBe(false);
  });
});
