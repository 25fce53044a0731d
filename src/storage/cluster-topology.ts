/** A node client of a node-redis cluster, as far as {@link followClusterTopology} uses it. */
export interface RedisClusterNodeClient {
  /** Whether its connection is up. */
  readonly isReady: boolean;
  /** Whether it is open (connected or reconnecting) rather than closed. */
  readonly isOpen: boolean;
  /** Sends PING. */
  ping(): Promise<unknown>;
  /** Drops its connection at once, and stops reconnecting; throws if it is closed already. */
  destroy(): void;
}

/** A node of a node-redis cluster's slot map. */
export interface RedisClusterNode {
  /** `host:port` */
  readonly address: string;
  /** Its client; none before the first command when the cluster minimizes connections. */
  readonly client?: RedisClusterNodeClient;
}

/** The slot map holder of a node-redis v5 cluster client (its `_slots`). */
export interface RedisClusterSlots {
  /** Reads the slot map again, asking `startWith` first and the root nodes after it. */
  rediscover(startWith: RedisClusterNodeClient): Promise<void>;
}

/**
 * The parts of a node-redis v5 cluster client (`createCluster` from `redis`, `@redis/client` or
 * `@keyv/redis`) that {@link followClusterTopology} uses.
 */
export interface RedisClusterClient {
  /** Whether the client is connected (or connecting) and not closed. */
  readonly isOpen: boolean;
  /** The masters of the client's current slot map. */
  readonly masters: readonly RedisClusterNode[];
  /** The replicas of the client's current slot map (empty unless it reads from replicas). */
  readonly replicas: readonly RedisClusterNode[];
  /** node-redis's slot map holder. */
  readonly _slots: RedisClusterSlots;
  /** The connected client of `node`. */
  nodeClient(node: RedisClusterNode): Promise<RedisClusterNodeClient> | RedisClusterNodeClient;
  /** Subscribes to a node's connection errors and reconnection attempts. */
  on(event: 'node-error' | 'node-reconnecting', listener: (...args: unknown[]) => void): unknown;
}

/** Options of {@link followClusterTopology}. */
export interface ClusterTopologyOptions {
  /**
   * How often the slot map is read again while a master cannot be reached, in ms. It bounds how
   * long after a failover the client keeps sending the failed master's slots to the dead node.
   * Default 500.
   */
  interval?: number;
  /**
   * How long a node may take to answer the follower's PING, and a read of the slot map may take,
   * in ms. A node that stalls (a stopped process, a hung host) keeps its connection open and
   * answers nothing: past this, the follower asks another node, or tries again later. Default
   * 1000.
   */
  timeout?: number;
}

/** A running {@link followClusterTopology}. */
export interface ClusterTopologyFollower {
  /**
   * Reads the slot map again now, from a node that answers a PING (the masters first). Resolves
   * once the cluster client uses the new map, or once the read took longer than `timeout`;
   * never rejects.
   */
  refresh(): Promise<void>;
  /**
   * Watches a command sent through the cluster client and returns it unchanged. If it fails, or
   * has not settled within `interval` ms, a failover may have moved its slot: the follower reads
   * the slot map again, at most once per `interval` however many commands it watches. This is
   * how a master that stalls is followed, since its connection stays up and raises no event.
   */
  watch<T>(command: Promise<T>): Promise<T>;
}

const followers = new WeakMap<RedisClusterClient, ClusterTopologyFollower>();

/**
 * Makes a node-redis v5 cluster client follow a failover.
 *
 * node-redis v5 reads the slot map only when a node answers MOVED or ASK. A killed master answers
 * nothing: its node client keeps reconnecting to the dead address, and the client never learns
 * that a replica took the master's slots over, so every command for those slots fails until the
 * dead node comes back (and answers MOVED). This follower watches the client's `node-error` and
 * `node-reconnecting` events; while any master's connection is down it has the cluster client
 * read the slot map again every `interval` ms, from a node that answers. Once the cluster has
 * promoted the replica, that read drops the dead node (closing its connection) and routes its
 * slots to the new master; then the follower goes quiet again. A master that stalls instead
 * keeps its connection open and raises no event: the commands {@link ClusterTopologyFollower.watch}
 * sees fail or hang make the follower read the slot map then. Following the same client twice
 * returns the first follower.
 *
 * @returns the follower, whose `watch()` a store wraps its commands in.
 */
export function followClusterTopology(
  cluster: RedisClusterClient,
  options: ClusterTopologyOptions = {},
): ClusterTopologyFollower {
  const existing = followers.get(cluster);
  if (existing) return existing;
  const interval = positive('interval', options.interval ?? 500);
  const timeout = positive('timeout', options.timeout ?? 1000);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastStarted = -Infinity;

  const refresh = (): Promise<void> => {
    if (running) return running;
    lastStarted = Date.now();
    // Bounded: a read that hangs must neither hold every later refresh nor keep `refresh()`
    // pending; once it is dropped, the next refresh asks again.
    const attempt = within(rediscover(cluster, timeout), 2 * timeout)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (running === attempt) running = undefined;
      });
    running = attempt;
    return attempt;
  };

  const suspect = () => {
    if (running || Date.now() - lastStarted < interval) return;
    void refresh();
  };

  const watch = <T>(command: Promise<T>): Promise<T> => {
    const late = setTimeout(suspect, interval).unref();
    command.then(
      () => clearTimeout(late),
      () => {
        clearTimeout(late);
        suspect();
      },
    );
    return command;
  };

  const tick = () => {
    if (!cluster.isOpen || !cluster.masters.some(isDown)) {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    void refresh();
  };

  const nodeTrouble = () => {
    if (timer !== undefined) return;
    // Not holding the process open: a client that is shut down stops the timer at its next tick.
    timer = setInterval(tick, interval).unref();
    tick();
  };
  cluster.on('node-error', nodeTrouble);
  cluster.on('node-reconnecting', nodeTrouble);

  const follower = { refresh, watch };
  followers.set(cluster, follower);
  return follower;
}

/**
 * Whether `client` is a node-redis v5 cluster client that {@link followClusterTopology} can
 * follow, so a store can follow whatever cluster its Keyv adapter holds.
 */
export function isRedisClusterClient(client: unknown): client is RedisClusterClient {
  const candidate = client as Partial<RedisClusterClient> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    Array.isArray(candidate.masters) &&
    typeof candidate._slots?.rediscover === 'function' &&
    typeof candidate.on === 'function'
  );
}

/**
 * Pings every master of the cluster's current slot map, each bounded by `timeout` ms. Rejects
 * naming the first master that does not answer: its sessions cannot be read or written until the
 * cluster has promoted a replica and the client follows it (or the node is back).
 */
export async function pingClusterMasters(
  cluster: RedisClusterClient,
  timeout: number,
): Promise<void> {
  await Promise.all(
    cluster.masters.map(async (master) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeout} ms`)), timeout);
      });
      try {
        await Promise.race([
          Promise.resolve(cluster.nodeClient(master)).then((c) => c.ping()),
          late,
        ]);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Redis Cluster master ${master.address} does not answer: ${reason}`);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

function isDown(node: RedisClusterNode): boolean {
  // A node without a client was never connected (minimizeConnections): nothing to follow there.
  return node.client !== undefined && !node.client.isReady;
}

/**
 * Rediscovers from a node that just answered a PING. A dead node would cost a failed connection
 * and an `error` event before node-redis falls back to its root nodes; a stalled one (its
 * connection still `isReady`) would take node-redis's `CLUSTER SLOTS` and never answer, and
 * node-redis shares that one pending rediscovery with every later one, its own included. Only
 * when no known node answers does the read start from the root nodes.
 */
async function rediscover(cluster: RedisClusterClient, timeout: number): Promise<void> {
  if (!cluster.isOpen) return;
  const known = [...cluster.masters, ...cluster.replicas];
  const start =
    (await answering(cluster.masters, timeout)) ??
    (await answering(cluster.replicas, timeout)) ??
    known.find((node) => node.client && !node.client.isReady)?.client ??
    known.find((node) => node.client)?.client;
  if (!start || !cluster.isOpen) return;
  try {
    await cluster._slots.rediscover(start);
  } catch {
    // Every node failed to answer: the cluster client has emitted the `error` already, and the
    // next refresh tries again.
  }
  // Closed while the slot map was read: node-redis still connects the nodes of the map it read,
  // with clients nothing will ever close, which would keep reconnecting (and the process alive)
  // once those nodes are gone. One already closed would throw, and stop the others' closing.
  if (!cluster.isOpen) {
    for (const { client } of [...cluster.masters, ...cluster.replicas]) {
      if (client?.isOpen) client.destroy();
    }
  }
}

/** The client of the first of `nodes` whose connection is up to answer a PING within `timeout`. */
async function answering(
  nodes: readonly RedisClusterNode[],
  timeout: number,
): Promise<RedisClusterNodeClient | undefined> {
  const clients = nodes.flatMap((node) => (node.client?.isReady ? [node.client] : []));
  if (clients.length === 0) return undefined;
  return within(
    Promise.any(
      clients.map(async (client) => {
        await client.ping();
        return client;
      }),
    ),
    timeout,
  ).catch(() => undefined);
}

/** Settles like `work`, or resolves with `undefined` after `ms`; `work` failing later is observed. */
function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, undefined).unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`followClusterTopology: ${name} must be a positive number of ms`);
  }
  return value;
}
