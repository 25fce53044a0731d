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

/** Warms the route up, then measures it, counting the app's CPU time and Redis' commands. */
export async function measure(
  target: Target,
  round: number,
  config: BenchConfig,
  redis: RedisServer,
): Promise<Sample> {
  const { app, route } = target;
  await runLoad(loadPlan(target, config, config.warmupSeconds));
  await settle();
  const cpuBefore = (await app.usage()).cpuMicros;
  const load = await runLoad(loadPlan(target, config, config.seconds));
  await settle();
  const cpuMicros = ((await app.usage()).cpuMicros - cpuBefore) / load.sent;
  const redisCommands =
    app.variant.store === 'redis' ? await commandsPerRequest(target, config, redis) : undefined;
  console.log(
    `round ${round} ${route.padEnd(13)} ${app.variant.id.padEnd(22)} ` +
      `${Math.round(load.rps)} req/s, p99 ${load.p99} ms, ${Math.round(cpuMicros)} µs CPU/req` +
      (redisCommands === undefined ? '' : `, ${redisCommands.toFixed(2)} Redis cmds/req`) +
      (load.failures ? `, ${load.failures} FAILED` : ''),
  );
  return { round, variant: app.variant.id, route, load, cpuMicros, redisCommands };
}
