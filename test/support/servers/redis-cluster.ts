import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import calculateSlot from 'cluster-key-slot';
import { stopProcess } from '../process/owned-process.js';
import { freePorts } from './free-ports.js';
import { launchRedis, redisCli } from './redis-process.js';

/** Redis Cluster nodes listen on a second port, their cluster bus, this far above their own. */
const BUS_PORT_OFFSET = 10_000;

/** One redis-server process of a {@link RedisCluster}. */
export interface ClusterNode {
  port: number;
  /** The pid of the running process; `undefined` while the node is stopped. */
  pid: number | undefined;
}

/** A throwaway Redis Cluster on loopback ports, owned by the test that started it. */
export interface RedisCluster {
  nodes: ClusterNode[];
  /** `{ url }` of every node, as `createCluster({ rootNodes })` takes them. */
  rootNodes: { url: string }[];
  /** SIGKILLs the node on `port` by pid and waits for the process to exit. */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again, with its own nodes.conf and data, after {@link kill}. */
  restart(port: number): Promise<void>;
  /** Runs one redis-cli command against the node on `port` and returns its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the node that currently serves `key`'s slot as master (asked of a live node). */
  masterPortOf(key: string): Promise<number>;
  /** Ports of the masters that hold slots, as a live node sees them. */
  masterPorts(): Promise<number[]>;
  /** Resolves once every running node reports `cluster_state:ok`; rejects after `within` ms. */
  waitUntilOk(within?: number): Promise<void>;
  /**
   * Resolves once no live node names the master on `port` as a slot owner (a replica took its
   * slots over) and every running node reports `cluster_state:ok`; rejects after `within` ms.
   */
  waitForFailover(port: number, within?: number): Promise<void>;
  /** Resolves once every running node reports `cluster_state:fail`; rejects after `within` ms. */
  waitUntilFailed(within?: number): Promise<void>;
  /**
   * Resolves once every replica of the master on `port` is online and has everything the master
   * wrote; rejects after `within` ms. Replication is asynchronous: a master killed before its
   * replica caught up takes its last writes with it, whatever the client did.
   */
  waitForReplication(port: number, within?: number): Promise<void>;
  /** SIGKILLs every node by pid and removes the data directories. */
  stop(): Promise<void>;
}

/** What {@link startRedisCluster} builds. */
export interface RedisClusterOptions {
  /** Replicas per master (`--cluster-replicas`); masters are always 3. Default 1. */
  replicas?: number;
  /**
   * `cluster-node-timeout` in ms: how long a node may be unreachable before it is failed and
   * its replica promoted. Default 1000, so that a failover takes a few seconds, not 15+.
   */
  nodeTimeout?: number;
}

/**
 * Starts 3 masters (and `replicas` replicas each) with `--cluster-enabled yes` on free 127.0.0.1
 * ports, each in its own temporary directory (nodes.conf, append-only file), joins them with
 * `redis-cli --cluster create` and waits for `cluster_state:ok` on every node.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 1;
  const nodeTimeout = options.nodeTimeout ?? 1000;
  const count = 3 * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const nodes: ClusterNode[] = [];

  const launch = async (node: ClusterNode) => {
    const child = await launchRedis(node.port, [
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${node.port}.conf`,
      '--cluster-node-timeout',
      String(nodeTimeout),
      '--appendonly',
      'yes',
      '--appendfilename',
      `appendonly-${node.port}.aof`,
      '--appenddirname',
      `aof-${node.port}`,
      '--save',
      '',
      // A replica syncs at once (the default waits 5 s), so a master killed right after the
      // cluster is created already has a replica able to take over.
      '--repl-diskless-sync-delay',
      '0',
      // Any replica may be promoted, however long it was cut off from its master.
      '--cluster-replica-validity-factor',
      '0',
    ]);
    processes.set(node.port, child);
    node.pid = child.pid;
    child.once('exit', () => {
      if (processes.get(node.port) === child) node.pid = undefined;
    });
  };

  const live = () => nodes.filter((node) => node.pid !== undefined);

  /** CLUSTER SLOTS of a live node, as (from, to, master port) triples. */
  const slotRanges = async (): Promise<{ from: number; to: number; port: number }[]> => {
    for (const node of live()) {
      try {
        const text = await redisCli(node.port, '--json', 'CLUSTER', 'SLOTS');
        const ranges = JSON.parse(text) as [number, number, [string, number, string]][];
        return ranges.map(([from, to, [, port]]) => ({ from, to, port }));
      } catch {
        // that node went away meanwhile: ask the next
      }
    }
    throw new Error('no cluster node answers CLUSTER SLOTS');
  };

  const waitForState = async (state: 'ok' | 'fail', within: number) => {
    const deadline = Date.now() + within;
    for (;;) {
      const states = await Promise.all(
        live().map((node) => redisCli(node.port, 'CLUSTER', 'INFO').catch(() => '')),
      );
      const wanted = `cluster_state:${state}`;
      if (states.every((info) => info.includes(wanted))) return;
      if (Date.now() > deadline) {
        throw new Error(`the cluster did not report cluster_state:${state} in ${within} ms`);
      }
      await sleep(50);
    }
  };

  const cluster: RedisCluster = {
    nodes,
    rootNodes: [],
    async kill(port) {
      const child = processes.get(port);
      if (child) await stopProcess(child);
    },
    async restart(port) {
      const node = nodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`no cluster node on port ${port}`);
      await launch(node);
    },
    cli: redisCli,
    async masterPortOf(key) {
      const slot = calculateSlot(key);
      const range = (await slotRanges()).find(({ from, to }) => slot >= from && slot <= to);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return range.port;
    },
    async masterPorts() {
      return [...new Set((await slotRanges()).map(({ port }) => port))].sort((a, b) => a - b);
    },
    waitUntilOk: (within = 20_000) => waitForState('ok', within),
    async waitForFailover(port, within = 20_000) {
      const deadline = Date.now() + within;
      while ((await cluster.masterPorts()).includes(port)) {
        if (Date.now() > deadline)
          throw new Error(`no replica took over from ${port} in ${within} ms`);
        await sleep(50);
      }
      await waitForState('ok', Math.max(0, deadline - Date.now()));
    },
    waitUntilFailed: (within = 20_000) => waitForState('fail', within),
    async waitForReplication(port, within = 10_000) {
      const deadline = Date.now() + within;
      for (;;) {
        const info = await redisCli(port, 'INFO', 'replication');
        const written = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
        const replicas = [...info.matchAll(/^slave\d+:.*state=(\w+),offset=(\d+)/gm)];
        const caughtUp = replicas.every(
          ([, state, offset]) => state === 'online' && Number(offset) >= written,
        );
        if (replicas.length > 0 && caughtUp) return;
        if (Date.now() > deadline) {
          throw new Error(`the replicas of ${port} did not catch up in ${within} ms:\n${info}`);
        }
        await sleep(50);
      }
    },
    async stop() {
      for (const node of nodes) await cluster.kill(node.port);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const port of await freePorts(count, BUS_PORT_OFFSET))
      nodes.push({ port, pid: undefined });
    // Every launch settles before a failure is thrown, so that stop() below kills them all.
    const launched = await Promise.allSettled(nodes.map(launch));
    const failed = launched.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await redisCli(
      nodes[0]!.port,
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    );
    await cluster.waitUntilOk();
    await waitForReplicas(nodes);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  cluster.rootNodes = nodes.map((node) => ({ url: `redis://127.0.0.1:${node.port}` }));
  return cluster;
}

/** Waits until every replica has finished its first sync with its master. */
async function waitForReplicas(nodes: ClusterNode[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const infos = await Promise.all(
      nodes.map((node) => redisCli(node.port, 'INFO', 'replication')),
    );
    const pending = infos.filter(
      (info) => info.includes('role:slave') && !info.includes('master_link_status:up'),
    );
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error('the cluster replicas did not sync in 10 s');
    await sleep(50);
  }
}
