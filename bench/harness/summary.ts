import type { Variant } from '../apps/variants.js';
import { median } from './median.js';
import type { Sample } from './samples.js';

/** A speed ratio to a reference: above 1 means faster than the reference. */
export interface Ratio {
  /** Median over rounds of (req/s ÷ the same round's reference req/s). */
  rps: number;
  /**
   * Lowest and highest of those per-round ratios: how far the machine moved them. A target that
   * one round meets and another misses is not settled by the run.
   */
  rounds: [number, number];
  /**
   * Reference's lowest CPU µs/req over the rounds ÷ this lowest one. Other work on the machine
   * only ever adds CPU time, so the lowest is the least disturbed reading of each.
   */
  cpu: number;
}

/** The medians over rounds of one variant on one route. */
export interface Row {
  variant: Variant;
  route: string;
  rps: number;
  p99: number;
  /** CPU time of the app per request, µs; unlike req/s, other load on the machine barely moves it. */
  cpuMicros: number;
  /** Against the session-less app on the same adapter. */
  vsBaseline?: Ratio;
  /** Against the variant's peer (same adapter and store). */
  vsPeer?: Ratio;
  redisCommands?: number;
  /** Failed requests over all rounds; any at all makes the row suspect. */
  failures: number;
}

/** {@link Ratio} of the samples picked by `of` to the same-round samples picked by `to`. */
export function medianRatio(
  samples: readonly Sample[],
  of: (s: Sample) => boolean,
  to: (s: Sample) => boolean,
): Ratio | undefined {
  const rps: number[] = [];
  for (const sample of samples.filter(of)) {
    const reference = samples.find((s) => s.round === sample.round && to(s));
    if (reference) rps.push(sample.load.rps / reference.load.rps);
  }
  if (!rps.length) return undefined;
  const lowestCpu = (pick: (s: Sample) => boolean) =>
    Math.min(...samples.filter(pick).map((s) => s.cpuMicros));
  return {
    rps: median(rps),
    rounds: [Math.min(...rps), Math.max(...rps)],
    cpu: lowestCpu(to) / lowestCpu(of),
  };
}

export function summarize(samples: readonly Sample[], variants: readonly Variant[]): Row[] {
  const rows: Row[] = [];
  for (const variant of variants) {
    const routes = [
      ...new Set(samples.filter((s) => s.variant === variant.id).map((s) => s.route)),
    ];
    for (const route of routes) {
      const own = samples.filter((s) => s.variant === variant.id && s.route === route);
      const is = (id: string | undefined) => (s: Sample) => s.variant === id && s.route === route;
      const commands = own.flatMap((s) => (s.redisCommands === undefined ? [] : [s.redisCommands]));
      rows.push({
        variant,
        route,
        rps: median(own.map((s) => s.load.rps)),
        p99: median(own.map((s) => s.load.p99)),
        cpuMicros: median(own.map((s) => s.cpuMicros)),
        vsBaseline: medianRatio(samples, is(variant.id), is(`${variant.adapter}-baseline`)),
        vsPeer: variant.peer ? medianRatio(samples, is(variant.id), is(variant.peer)) : undefined,
        redisCommands: commands.length ? median(commands) : undefined,
        failures: own.reduce((sum, s) => sum + s.load.failures, 0),
      });
    }
  }
  return rows;
}
