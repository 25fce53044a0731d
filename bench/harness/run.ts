import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, type } from 'node:os';
import { MEMORY_VARIANTS } from '../apps/variants.js';
import { AppProcess } from './app-process.js';
import { readBenchConfig, type BenchConfig } from './bench-config.js';
import { planPinning, pinThisProcess } from './cpu-pinning.js';
import { libraryVersion } from './library-version.js';
import { runLoad } from './load.js';
import { machineShares, machineTime } from './machine-time.js';
import { median } from './median.js';
import { loadPlan, measureRoute, type Target } from './measure.js';
import { checkMemory, type MemoryCheck } from './memory-check.js';
import { RedisServer } from './redis-server.js';
import { renderReport, renderThroughputTable, type PathRow } from './report.js';
import { BOUND_ROUTES, PATH_ROUTES, PATH_VARIANT, ROUTES, type Sample } from './samples.js';
import { createSessionCookies } from './session-cookies.js';
import { medianRatio, summarize } from './summary.js';
import { evaluateTargets } from './targets.js';

const RESULTS = new URL('../../../RESULTS.md', import.meta.url);
const STEADY_TICKS = new URL('../apps/steady-ticks.js', import.meta.url);
const PATH_DESCRIPTIONS: Record<string, string> = {
  '/read': '`@Segment()` parameter',
  '/read-session': '`@Session()` parameter, then `newSegment()`',
  '/read-scoped': '`SessionManager` injected in a request-scoped controller',
  '/read-bound': '`/read` on sessions bound to a user (`bindUser`)',
  '/write-bound': '`/write` on sessions bound to a user (compare with `/write` above)',
};

const config = readBenchConfig();
const started = performance.now();
const loadBefore = loadavg()[0];
// Read now, as the apps start from the build just made: the tree may change while the run goes on.
const library = libraryVersion();
// What other work had the machine just before the run: the run's own load hides it later.
const quietFrom = machineTime();
await new Promise((resolve) => setTimeout(resolve, 2000));
const runFrom = machineTime();
const busyBefore = machineShares(quietFrom, runFrom)?.busy;
const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
const pinning = planPinning(config.pin);
// Before Redis starts, so that it inherits the harness's cores.
if (pinning) pinThisProcess(pinning.harness);
const appCores = pinning?.apps;
const redis = await RedisServer.start();
let apps: AppProcess[] = [];
try {
  const nodeFlags = [
    ...(config.steadyTicks === 'on' ? ['--import', STEADY_TICKS.href] : []),
    ...(config.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', config.cpuProfileDir] : []),
  ];
  const samples: Sample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    // Every round starts every app afresh. One process keeps its own speed for its whole life:
    // two processes of the same app measured side by side, in alternating bursts, differed by up
    // to a quarter from start to end. With the same processes in every round, that luck would
    // be in every round's ratio; with new ones, the median over the rounds evens it out.
    apps = [];
    for (const variant of config.variants) {
      apps.push(await AppProcess.start(variant, redis.url, { nodeFlags, cores: appCores }));
    }
    const roundOrder = await roundTargets(apps, config);
    // A fresh app must not pay for JIT compilation and first-time allocations in its round.
    for (const target of roundOrder) {
      await runLoad(loadPlan(target, config, config.warmupSeconds));
    }
    console.log(`round ${round}: ${apps.length} apps started and warmed up (${elapsed()})`);
    // Every other round runs backwards, so no variant always follows another.
    const order = round % 2 ? roundOrder : [...roundOrder].reverse();
    for (const route of new Set(order.map((t) => t.route))) {
      const onRoute = order.filter((t) => t.route === route);
      samples.push(...(await measureRoute(onRoute, round, config, redis)));
    }
    await Promise.all(apps.map((app) => app.stop()));
  }

  const memory: MemoryCheck[] = [];
  for (const variant of MEMORY_VARIANTS) {
    memory.push(
      await checkMemory(variant, redis.url, config.sessions, config.connections, appCores),
    );
    console.log(`memory check of ${variant.id} done (${elapsed()})`);
  }

  const routeOrder = (route: string) => ROUTES.indexOf(route as (typeof ROUTES)[number]);
  const rows = summarize(
    samples.filter((s) => routeOrder(s.route) >= 0),
    config.variants,
  ).sort(
    (a, b) =>
      a.variant.adapter.localeCompare(b.variant.adapter) ||
      routeOrder(a.route) - routeOrder(b.route),
  );
  const onPathApp = (route: string) => (s: Sample) =>
    s.variant === PATH_VARIANT && s.route === route;
  const paths: PathRow[] = samples.some((s) => (PATH_ROUTES as readonly string[]).includes(s.route))
    ? ['/read', ...PATH_ROUTES].map((route) => {
        const own = samples.filter(onPathApp(route));
        return {
          route,
          how: PATH_DESCRIPTIONS[route],
          rps: median(own.map((s) => s.load.rps)),
          p99: median(own.map((s) => s.load.p99)),
          cpuMicros: median(own.map((s) => s.cpuMicros)),
          vsRead: medianRatio(samples, onPathApp(route), onPathApp('/read')),
        };
      })
    : [];
  const results = evaluateTargets(rows, memory);
  const report = renderReport({
    info: {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
      os: `${type()} ${release()}`,
      library,
      load: [loadBefore, loadavg()[0]],
      busyBefore,
      steal: machineShares(runFrom, machineTime())?.steal,
      config,
      pinning,
      runtimeSeconds: (performance.now() - started) / 1000,
    },
    rows,
    paths,
    memory,
    targets: results,
  });
  await writeFile(RESULTS, report);
  console.log(`\n${renderThroughputTable(rows)}\n`);
  for (const t of results) {
    console.log(
      `${t.met === undefined ? '—' : t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.measured}`,
    );
  }
  console.log(`\nWrote ${RESULTS.pathname} (${elapsed()})`);
} finally {
  await Promise.all(apps.map((app) => app.stop()));
  await redis.stop();
}

/**
 * What one round measures on freshly started apps, in the order it measures them: route by route,
 * every variant side by side, then the other read paths of {@link PATH_VARIANT}.
 */
async function roundTargets(apps: readonly AppProcess[], config: BenchConfig): Promise<Target[]> {
  const targets: Target[] = [];
  const pathTargets: Target[] = [];
  for (const app of apps) {
    const cookies = await createSessionCookies(app, config.connections);
    for (const route of ROUTES) targets.push({ app, route, cookies });
    if (app.variant.id !== PATH_VARIANT) continue;
    const bound = await createSessionCookies(app, config.connections, { bind: true });
    for (const route of PATH_ROUTES) {
      pathTargets.push({ app, route, cookies: BOUND_ROUTES.includes(route) ? bound : cookies });
    }
  }
  return [...ROUTES.flatMap((route) => targets.filter((t) => t.route === route)), ...pathTargets];
}
