import type { AppProcess } from './app-process.js';
import type { BenchConfig } from './bench-config.js';
import { runLoad, type LoadPlan } from './load.js';
import type { RedisServer } from './redis-server.js';
import type { Sample } from './samples.js';

/** A route of a running app, with the session cookies its connections send. */
export interface Target {
  app: AppProcess;
  route: string;
  cookies: readonly string[];
}

export function loadPlan(target: Target, config: BenchConfig, seconds: number): LoadPlan {
  return {
    url: `${target.app.url}${target.route}`,
    connections: config.connections,
    cookies: target.cookies,
    until: { seconds },
  };
}

// Requests in flight when autocannon stops are still served: let them land before counting.
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

const COUNTED_REQUESTS = 200;

/**
 * Redis commands the app sends per request, counted on a separate, short run: MONITOR slows
 * Redis down, so it stays out of the timed run.
 */
async function commandsPerRequest(
  target: Target,
  config: BenchConfig,
  redis: RedisServer,
): Promise<number> {
  let sent = 0;
  const commands = await redis.countCommands(async () => {
    sent = (
      await runLoad({ ...loadPlan(target, config, 0), until: { requests: COUNTED_REQUESTS } })
    ).sent;
    await settle();
  });
  return commands / sent;
}

/** What one target has gathered over its bursts so far. */
interface Tally {
  target: Target;
  seconds: number;
  completed: number;
  sent: number;
  failures: number;
  cpuMicros: number;
  p99: number;
}

/**
 * Measures one route on several apps in alternating 1 s bursts: each app gets `config.seconds`
 * bursts, the apps taking turns, every other pass in reverse order. The machine's speed moves
 * from one second to the next (the same bare app, measured in back-to-back seconds, varied by a
 * third and more): bursts taken turn about put every app through the same seconds, and passes
 * in alternating order give every app the same mean time in the window. Then counts the Redis
 * commands per request of the apps on Redis.
 */
export async function measureRoute(
  targets: readonly Target[],
  round: number,
  config: BenchConfig,
  redis: RedisServer,
): Promise<Sample[]> {
  const tallies: Tally[] = targets.map((target) => ({
    target,
    seconds: 0,
    completed: 0,
    sent: 0,
    failures: 0,
    cpuMicros: 0,
    p99: 0,
  }));
  for (let pass = 0; pass < config.seconds; pass++) {
    for (const tally of pass % 2 ? [...tallies].reverse() : tallies) await burst(tally, config);
  }
  const samples: Sample[] = [];
  for (const { target, seconds, completed, sent, failures, cpuMicros, p99 } of tallies) {
    const { app, route } = target;
    const load = { rps: completed / seconds, completed, seconds, p99, sent, failures };
    const cpu = cpuMicros / sent;
    const redisCommands =
      app.variant.store === 'redis' ? await commandsPerRequest(target, config, redis) : undefined;
    console.log(
      `round ${round} ${route.padEnd(13)} ${app.variant.id.padEnd(22)} ` +
        `${Math.round(load.rps)} req/s, p99 ${load.p99} ms, ${Math.round(cpu)} µs CPU/req` +
        (redisCommands === undefined ? '' : `, ${redisCommands.toFixed(2)} Redis cmds/req`) +
        (failures ? `, ${failures} FAILED` : ''),
    );
    samples.push({ round, variant: app.variant.id, route, load, cpuMicros: cpu, redisCommands });
  }
  return samples;
}

/** One 1 s burst on a target, added to its tally. The p99 kept is the highest of its bursts. */
async function burst(tally: Tally, config: BenchConfig): Promise<void> {
  const { app } = tally.target;
  const cpuBefore = (await app.usage()).cpuMicros;
  const load = await runLoad(loadPlan(tally.target, config, 1));
  await settle();
  tally.cpuMicros += (await app.usage()).cpuMicros - cpuBefore;
  tally.seconds += load.seconds;
  tally.completed += load.completed;
  tally.sent += load.sent;
  tally.failures += load.failures;
  tally.p99 = Math.max(tally.p99, load.p99);
}
