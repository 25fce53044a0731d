import { describeVariant } from '../apps/variants.js';
import type { BenchConfig } from './bench-config.js';
import { describePinning, type CpuPinning } from './cpu-pinning.js';
import type { MemoryCheck } from './memory-check.js';
import type { Ratio, Row } from './summary.js';
import type { TargetResult } from './targets.js';

/** The machine and settings a run used. */
export interface RunInfo {
  date: string;
  node: string;
  cpu: string;
  os: string;
  /** Commit of the library source measured. */
  library: string;
  /** One-minute load average when the run started and when it ended. */
  load: [number, number];
  /** Percent of all cores' time busy in the 2 s before the run, when only other work ran. */
  busyBefore: number | undefined;
  /** Percent of all cores' time the hypervisor took during the run. */
  steal: number | undefined;
  config: BenchConfig;
  /** The cores of the apps and of the harness; `undefined` when they were not pinned. */
  pinning: CpuPinning | undefined;
  runtimeSeconds: number;
}

/** Another read path compared with /read (the `@Segment` parameter) on the same app. */
export interface PathRow {
  route: string;
  how: string;
  rps: number;
  p99: number;
  cpuMicros: number;
  vsRead: Ratio | undefined;
}

/** Everything RESULTS.md shows. */
export interface BenchReport {
  info: RunInfo;
  rows: readonly Row[];
  paths: readonly PathRow[];
  memory: readonly MemoryCheck[];
  targets: readonly TargetResult[];
}

const MB = 1024 * 1024;

const times = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
const rpsTimes = (ratio: Ratio | undefined) => times(ratio?.rps);
const mb = (bytes: number) => (bytes / MB).toFixed(0);

/** The throughput table alone, as the harness also prints it. */
export function renderThroughputTable(rows: readonly Row[]): string {
  const lines = [
    '| variant | adapter | route | req/s (median) | p99 ms | × baseline | × peer | Redis cmds/req | CPU µs/req |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const failures = row.failures ? ` ⚠ ${row.failures} failed` : '';
    const commands = row.redisCommands === undefined ? '—' : row.redisCommands.toFixed(2);
    lines.push(
      `| ${describeVariant(row.variant)} | ${row.variant.adapter} | \`${row.route}\` | ` +
        `${Math.round(row.rps)}${failures} | ${row.p99} | ${rpsTimes(row.vsBaseline)} | ` +
        `${rpsTimes(row.vsPeer)} | ${commands} | ${Math.round(row.cpuMicros)} |`,
    );
  }
  return lines.join('\n');
}

// The load average of a virtual machine counts more than CPU work: the CPU counters say more.
function machineLine({ busyBefore, steal }: RunInfo): string {
  if (busyBefore === undefined || steal === undefined) return '';
  return (
    `; in the 2 s before the run, other work kept ${busyBefore.toFixed(1)} % of the cores busy, ` +
    `and the hypervisor took ${steal.toFixed(1)} % of their time during it`
  );
}

export function renderReport({ info, rows, paths, memory, targets }: BenchReport): string {
  const { config } = info;
  const met = targets.filter((t) => t.met === true).length;
  const measured = targets.filter((t) => t.met !== undefined).length;
  return [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${info.date}: ${info.cpu}, ${info.os}, Node ${info.node}; ` +
      `library at ${info.library}.`,
    `Each cell is the median of ${config.rounds} rounds (each on freshly started apps) of ` +
      `${config.seconds} s (1 s bursts, taken in turn by the apps on the route) with ` +
      `${config.connections} connections (after ${config.warmupSeconds} s of warmup), every ` +
      'request carrying a valid session cookie (one session per connection). Ratios are taken ' +
      'within a round, then the median is shown. The harness ran for ' +
      `${Math.round(info.runtimeSeconds)} s; the one-minute load average was ` +
      `${info.load[0].toFixed(1)} when it started and ${info.load[1].toFixed(1)} when it ended` +
      machineLine(info) +
      ' (other work on the machine lowers req/s and raises CPU µs/req, by 20 % or more on 2 ' +
      'cores: rerun on a quiet machine before trusting a ratio near its target). ' +
      describePinning(info.pinning) +
      (config.steadyTicks === 'on'
        ? ' Every app process loaded `apps/steady-ticks.ts` before the app, so that all run ' +
          "Node's ticks at the same speed (BENCH_STEADY_TICKS=off leaves it out)."
        : ' The apps ran without `apps/steady-ticks.ts` (BENCH_STEADY_TICKS=off): each process ' +
          "drew one of Node's two tick speeds at start."),
    '',
    '## Targets',
    '',
    `${met} of ${measured} measured targets met. Met or not is decided by the median req/s ` +
      'ratio. "Rounds" is the lowest and highest ratio of a single round: a target inside that ' +
      'span was met in some rounds and missed in others. The ratio of the lowest CPU µs/req over ' +
      'the rounds (other work only ever adds CPU time) is a second opinion.',
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...targets.map(
      (t) =>
        `| ${t.target} | ${t.measured} | ${t.met === undefined ? '—' : t.met ? 'met' : '**not met**'} |`,
    ),
    '',
    '## Throughput',
    '',
    renderThroughputTable(rows),
    '',
    '`× peer`: ours against express-session (Express) or @fastify/session (Fastify) on the same ' +
      'store. "No session, its Redis round trips only": the bare app sending the round trips of ' +
      'a session (`/read` a `GET`, `/write` a `GET` then a `SET`) and doing nothing else, so its ' +
      '`× peer` is the most that any session layer sending as many round trips can reach. ' +
      '"No session, ours\' handler shape only": the bare app with the handlers of ours (`async`, ' +
      'a parameter decorator whose value has async `get` and `set`) over a plain value, so its ' +
      '`× baseline` is the most that a session layer reached through a parameter decorator can ' +
      'reach. "A minimal session layer": the bench\'s own least session layer on Fastify, doing ' +
      'the same observable work as ours (cookie, a `Map` lookup, the idle check, copy on write, ' +
      '`Set-Cookie` for a new session, `Cache-Control`) and nothing more, so its `× baseline` is ' +
      'the least that work costs. `Redis cmds/req`: round trips the app sends to Redis per request (MONITOR on a ' +
      "separate run of 200 requests; a Lua script's own commands do not count). `CPU µs/req`: " +
      'CPU time (user + system) of ' +
      'the app process divided by the requests sent, median over rounds.',
    '',
    '## Ways to reach the session (ours, memory, Express)',
    '',
    '| route | how the handler gets the session | req/s (median) | p99 ms | × `/read` | CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...paths.map(
      (p) =>
        `| \`${p.route}\` | ${p.how} | ${Math.round(p.rps)} | ${p.p99} | ${rpsTimes(p.vsRead)} | ` +
        `${Math.round(p.cpuMicros)} |`,
    ),
    '',
    '## Memory',
    '',
    `A fresh app per line gets ${memory[0]?.sessions ?? 0} requests without a cookie to \`/write\`, ` +
      'each of which starts a session. Heap is measured after a forced full GC, before the first ' +
      'session, halfway and at the end.',
    '',
    '| variant | RSS before → after, MB | heap before → half → after, MB | failed requests |',
    '| --- | --- | --- | ---: |',
    ...memory.map(
      (m) =>
        `| ${describeVariant(m.variant)} | ${mb(m.before.rss)} → ${mb(m.after.rss)} | ` +
        `${mb(m.before.heapUsed)} → ${mb(m.half.heapUsed)} → ${mb(m.after.heapUsed)} | ${m.failures} |`,
    ),
    '',
  ].join('\n');
}
