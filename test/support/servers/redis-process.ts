import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { hasExited, owned, stopProcess } from '../process/owned-process.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_CLI = '/usr/bin/redis-cli';
const run = promisify(execFile);

/**
 * Whether Redis tests can run (redis-server and redis-cli are installed). Under CI a missing one
 * is a failure (this throws); elsewhere the suite prints a loud SKIPPED line and is skipped.
 */
export function redisAvailable(suite: string): boolean {
  const missing = [REDIS_SERVER, REDIS_CLI].filter((bin) => !existsSync(bin));
  if (missing.length === 0) return true;
  const what = `${missing.join(' and ')} not found (apt-get install -y redis-server)`;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${what} and CI=true`);
  console.warn(`\n*** SKIPPED: ${suite}: ${what} ***\n`);
  return false;
}

/** Runs one redis-cli command against 127.0.0.1:`port` and returns its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
}

/**
 * Starts redis-server on 127.0.0.1:`port` with `args` and resolves once that very process (by
 * pid) answers there. A server that cannot bind exits, and another process already on the port
 * would otherwise answer the pings in its place: the test would then kill, freeze or stop the
 * wrong server.
 */
export async function launchRedis(port: number, args: string[]): Promise<ChildProcess> {
  const child = owned(
    spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', ...args], {
      stdio: 'ignore',
    }),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (hasExited(child)) throw new Error(`redis-server on port ${port} exited as it started`);
    const info = await redisCli(port, 'INFO', 'server').catch(() => '');
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    if (pid !== undefined && Number(pid) === child.pid) return child;
    if (pid !== undefined || Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(
        pid !== undefined
          ? `port ${port} is served by another redis-server (pid ${pid})`
          : `redis-server on port ${port} did not start`,
      );
    }
    await sleep(50);
  }
}
