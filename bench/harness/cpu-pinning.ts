import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Which cores the apps run on, and which the harness (load generator) and Redis run on. */
export interface CpuPinning {
  /** A `taskset` core list, e.g. `0`. */
  apps: string;
  /** A `taskset` core list, e.g. `1`. */
  harness: string;
}

/**
 * With `on`, splits the cores between the apps and everything else; with `off` (the default),
 * `undefined`. autocannon runs in the harness and takes about as much CPU as a Fastify app it loads,
 * and left free to move it shares the app's core for part of a burst: pinned, the apps' bursts
 * stop competing with their own load. Then Redis shares a core with autocannon instead, so a
 * store whose commands cost Redis more CPU slows its own load more. Two runs each way measured no
 * steadier ratios pinned (see the bench's README), hence off by default. Only one app is under load
 * at a time, so the apps share their half.
 */
export function planPinning(setting: 'on' | 'off'): CpuPinning | undefined {
  if (setting === 'off') return undefined;
  const cannot = (why: string) => new Error(`BENCH_PIN=on cannot pin the apps: ${why}`);
  if (process.platform !== 'linux') throw cannot(`not on Linux (${process.platform})`);
  const cores = availableParallelism();
  if (cores < 2) throw cannot(`${cores} core`);
  if (spawnSync('taskset', ['-V']).error) throw cannot('taskset is not installed (util-linux)');
  const appCores = Math.floor(cores / 2);
  return {
    apps: coreList(0, appCores - 1),
    harness: coreList(appCores, cores - 1),
  };
}

function coreList(first: number, last: number): string {
  return first === last ? `${first}` : `${first}-${last}`;
}

/**
 * Moves every thread of this process to `cores`. Processes it starts later (Redis) inherit them,
 * and so do the threads Node starts later.
 */
export function pinThisProcess(cores: string): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cores, `${process.pid}`], {
    stdio: 'ignore',
  });
}

/** How `fork()` starts Node on `cores`: through `taskset`, which then runs Node with its flags. */
export function pinnedFork(
  cores: string | undefined,
  nodeFlags: string[],
): { execPath?: string; execArgv: string[] } {
  if (cores === undefined) return { execArgv: nodeFlags };
  return { execPath: 'taskset', execArgv: ['--cpu-list', cores, process.execPath, ...nodeFlags] };
}

/** The report's words for a plan. */
export function describePinning(pinning: CpuPinning | undefined): string {
  return pinning === undefined
    ? 'The apps were not pinned to cores (BENCH_PIN=on pins them).'
    : `The apps ran on ${coreWords(pinning.apps)}, the harness with autocannon and Redis on ` +
        `${coreWords(pinning.harness)} (taskset).`;
}

function coreWords(list: string): string {
  return /[-,]/.test(list) ? `cores ${list}` : `core ${list}`;
}
