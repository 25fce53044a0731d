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

/** A variant without sessions that shows the most a session layer can reach on a target. */
interface Limit {
  variant: string;
  /** What it keeps of ours, as the report names it. */
  label: string;
}

const ROUND_TRIPS: Limit = { variant: 'express-round-trips', label: 'the round trips' };
const EXPRESS_SHAPE: Limit = { variant: 'express-handler-shape', label: 'the handler shape' };
const FASTIFY_SHAPE: Limit = { variant: 'fastify-handler-shape', label: 'the handler shape' };
const FASTIFY_MINIMAL: Limit = { variant: 'fastify-minimal-layer', label: 'a minimal layer' };
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
    limits: readonly Limit[] = [],
  ): TargetResult => {
    const ratio = row(variant, route)?.[against];
    if (!ratio) return { target, ...NOT_MEASURED };
    // What the same round trips, the same handlers, or the same work done by the least possible
    // layer cost: the best any layer can reach.
    const alone = limits.flatMap((limit) => {
      const measured = row(limit.variant, route)?.[against];
      return measured
        ? [
            `; ${limit.label} alone: ${measured.rps.toFixed(2)}×, by lowest CPU ${measured.cpu.toFixed(2)}×`,
          ]
        : [];
    });
    return {
      target,
      measured:
        `${ratio.rps.toFixed(2)}× (rounds ${ratio.rounds[0].toFixed(2)}–${ratio.rounds[1].toFixed(2)}×; ` +
        `by lowest CPU per request: ${ratio.cpu.toFixed(2)}×` +
        alone.join('') +
        ')',
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
    speed(
      'memory /read ≥ 0.9× baseline, Express',
      ['ours-express-memory', '/read'],
      'vsBaseline',
      0.9,
      [EXPRESS_SHAPE],
    ),
    speed(
      'memory /read ≥ 0.9× baseline, Fastify',
      ['ours-fastify-memory', '/read'],
      'vsBaseline',
      0.9,
      [FASTIFY_SHAPE, FASTIFY_MINIMAL],
    ),
    speed('memory /read ≥ 1.3× express-session', ['ours-express-memory', '/read'], 'vsPeer', 1.3),
    speed(
      'memory /write ≥ 0.85× baseline, Express',
      ['ours-express-memory', '/write'],
      'vsBaseline',
      0.85,
      [EXPRESS_SHAPE],
    ),
    speed(
      'memory /write ≥ 0.8× baseline, Fastify',
      ['ours-fastify-memory', '/write'],
      'vsBaseline',
      0.8,
      [FASTIFY_SHAPE, FASTIFY_MINIMAL],
    ),
    speed('memory /write ≥ 2× @fastify/session', ['ours-fastify-memory', '/write'], 'vsPeer', 2),
    speed(
      'Redis /read ≥ 1.4× express-session + connect-redis',
      ['ours-express-redis', '/read'],
      'vsPeer',
      1.4,
      [ROUND_TRIPS],
    ),
    commands('Redis /read ≤ 1 round trip', ['ours-express-redis', '/read'], 1),
    speed(
      'Redis /write ≥ 1.3× express-session + connect-redis',
      ['ours-express-redis', '/write'],
      'vsPeer',
      1.3,
      [ROUND_TRIPS],
    ),
    commands('Redis /write ≤ 2 round trips', ['ours-express-redis', '/write'], 2),
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
