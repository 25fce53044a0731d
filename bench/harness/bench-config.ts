import { THROUGHPUT_VARIANTS, type Variant } from '../apps/variants.js';

/** How long and how hard the bench runs; each knob can be set from the environment. */
export interface BenchConfig {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  /** New sessions the memory check creates. */
  sessions: number;
  variants: readonly Variant[];
  /** Directory for `--cpu-prof` profiles of the apps, or none. */
  cpuProfileDir: string | undefined;
  /** `on`: the apps get half the cores, the harness and Redis the rest (see `cpu-pinning.ts`). */
  pin: 'on' | 'off';
  /** `on`: every app process loads `apps/steady-ticks.ts` first, so all run ticks alike. */
  steadyTicks: 'on' | 'off';
}

export function readBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const only = env.BENCH_ONLY?.split(',').map((id) => id.trim());
  return {
    connections: count(env, 'BENCH_CONNECTIONS', 10),
    // Seconds measured per app and route, as that many 1 s bursts taken in turn with the other
    // apps on the route (autocannon runs whole seconds).
    seconds: count(env, 'BENCH_SECONDS', 4),
    warmupSeconds: count(env, 'BENCH_WARMUP_SECONDS', 1),
    rounds: count(env, 'BENCH_ROUNDS', 3),
    sessions: count(env, 'BENCH_SESSIONS', 100_000),
    variants: only ? THROUGHPUT_VARIANTS.filter((v) => only.includes(v.id)) : THROUGHPUT_VARIANTS,
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    pin: onOff(env, 'BENCH_PIN', 'off'),
    steadyTicks: onOff(env, 'BENCH_STEADY_TICKS', 'on'),
  };
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: 'on' | 'off'): 'on' | 'off' {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'off') return raw;
  throw new Error(`${name} must be on or off, got "${raw}"`);
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  }
  return value;
}
