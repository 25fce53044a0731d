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
  const counting = app.variant.store === 'redis';
  const commandsBefore = counting ? await redis.commandCount() : 0;
  const cpuBefore = (await app.usage()).cpuMicros;
  const load = await runLoad(loadPlan(target, config, config.seconds));
  await settle();
  const cpuMicros = ((await app.usage()).cpuMicros - cpuBefore) / load.sent;
  const redisCommands = counting
    ? ((await redis.commandCount()) - commandsBefore) / load.sent
    : undefined;
  console.log(
    `round ${round} ${route.padEnd(13)} ${app.variant.id.padEnd(22)} ` +
      `${Math.round(load.rps)} req/s, p99 ${load.p99} ms, ${Math.round(cpuMicros)} µs CPU/req` +
      (redisCommands === undefined ? '' : `, ${redisCommands.toFixed(2)} Redis cmds/req`) +
      (load.failures ? `, ${load.failures} FAILED` : ''),
  );
  return { round, variant: app.variant.id, route, load, cpuMicros, redisCommands };
}
