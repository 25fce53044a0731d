import { isBounded, type MemoryCheck } from './memory-check.js';
import type { Row } from './summary.js';

/** One performance target and what this run measured for it. */
export interface TargetResult {
  target: string;
  measured: string;
  /** Undefined when the run did not measure it (a variant was left out). */
  met: boolean | undefined;
}

const MB = 1024 * 1024;
const NOT_MEASURED = { measured: 'not measured', met: undefined };

/** Checks the measured rows and memory checks against the performance targets. */
export function evaluateTargets(
  rows: readonly Row[],
  memory: readonly MemoryCheck[],
): TargetResult[] {
  const row = (variant: string, route: string) =>
    rows.find((r) => r.variant.id === variant && r.route === route);
  // Met or not by req/s, as the targets are stated; the CPU ratio tells whether a busy machine decided.
  const speed = (
    target: string,
    [variant, route]: [string, string],
    against: 'vsBaseline' | 'vsPeer',
    min: number,
  ): TargetResult => {
    const ratio = row(variant, route)?.[against];
    if (!ratio) return { target, ...NOT_MEASURED };
    return {
      target,
      measured: `${ratio.rps.toFixed(2)}× (by lowest CPU per request: ${ratio.cpu.toFixed(2)}×)`,
      met: ratio.rps >= min,
    };
  };
  const commands = (target: string, [variant, route]: [string, string], max: number) => {
    const value = row(variant, route)?.redisCommands;
    if (value === undefined) return { target, ...NOT_MEASURED };
    // Shown with two decimals, compared as shown.
    return {
      target,
      measured: `${value.toFixed(2)} commands/request`,
      met: Math.round(value * 100) / 100 <= max,
    };
  };
  const ours = memory.find((check) => check.variant.library === 'ours');
  return [
    speed(
      '/untouched ≥ 0.95× baseline, Express',
      ['ours-express-memory', '/untouched'],
      'vsBaseline',
      0.95,
    ),
    speed(
      '/untouched ≥ 0.95× baseline, Fastify',
      ['ours-fastify-memory', '/untouched'],
      'vsBaseline',
      0.95,
    ),
    speed('/read ≥ 1.3× express-session, memory', ['ours-express-memory', '/read'], 'vsPeer', 1.3),
    speed('/read ≥ 1.3× express-session, Redis', ['ours-express-redis', '/read'], 'vsPeer', 1.3),
    commands('/read ≤ 1 Redis command/request', ['ours-express-redis', '/read'], 1),
    speed(
      '/write ≥ 1.3× express-session, memory',
      ['ours-express-memory', '/write'],
      'vsPeer',
      1.3,
    ),
    speed('/write ≥ 1.0× express-session, Redis', ['ours-express-redis', '/write'], 'vsPeer', 1.0),
    commands('/write ≤ 3 Redis commands/request', ['ours-express-redis', '/write'], 3),
    speed('Fastify /read ≥ 2× @fastify/session', ['ours-fastify-memory', '/read'], 'vsPeer', 2),
    speed('Fastify /write ≥ 2× @fastify/session', ['ours-fastify-memory', '/write'], 'vsPeer', 2),
    ours
      ? {
          target: `memory stays bounded over ${ours.sessions} new sessions`,
          measured:
            `RSS ${(ours.before.rss / MB).toFixed(0)} → ${(ours.after.rss / MB).toFixed(0)} MB, ` +
            `heap after GC ${(ours.before.heapUsed / MB).toFixed(0)} → ` +
            `${(ours.half.heapUsed / MB).toFixed(0)} → ${(ours.after.heapUsed / MB).toFixed(0)} MB`,
          met: isBounded(ours) && ours.failures === 0,
        }
      : { target: 'memory stays bounded over many new sessions', ...NOT_MEASURED },
  ];
}
