/** Which HTTP adapter a Nest app runs on. */
export type Adapter = 'express' | 'fastify';

/**
 * Which session implementation an app variant uses. `round-trips` has none: the bare app plus the
 * Redis round trips of a session, the limit of any session layer that sends as many.
 * `handler-shape` has none either: ours' handlers (`async`, a parameter decorator) over a plain
 * value, the limit of any session layer reached through a parameter decorator.
 * `minimal-layer` is the bench's own least session layer doing the same observable work as ours
 * (apps/minimal-session.ts), on Fastify: the limit that the memory targets aim at.
 */
export type Library =
  | 'baseline'
  | 'express-session'
  | '@fastify/session'
  | 'ours'
  | 'round-trips'
  | 'handler-shape'
  | 'minimal-layer';

/** Where the sessions of an app variant live. */
export type StoreKind = 'none' | 'memory' | 'redis';

/** One app under test: the same Nest routes, a different session implementation. */
export interface Variant {
  /** Passed to the app process on its command line. */
  readonly id: string;
  readonly adapter: Adapter;
  readonly library: Library;
  readonly store: StoreKind;
  /** Id of the peer on the same adapter and store that ours is compared with. */
  readonly peer?: string;
  /**
   * Cap on the sessions of ours' default in-memory store; set only for the memory check, which
   * needs a cap below the number of sessions it creates.
   */
  readonly memoryCap?: number;
}

/** The variants measured for throughput, in the order every round runs them. */
export const THROUGHPUT_VARIANTS: readonly Variant[] = [
  { id: 'express-baseline', adapter: 'express', library: 'baseline', store: 'none' },
  {
    id: 'express-session-memory',
    adapter: 'express',
    library: 'express-session',
    store: 'memory',
  },
  {
    id: 'ours-express-memory',
    adapter: 'express',
    library: 'ours',
    store: 'memory',
    peer: 'express-session-memory',
  },
  {
    id: 'express-session-redis',
    adapter: 'express',
    library: 'express-session',
    store: 'redis',
  },
  {
    id: 'ours-express-redis',
    adapter: 'express',
    library: 'ours',
    store: 'redis',
    peer: 'express-session-redis',
  },
  {
    id: 'express-round-trips',
    adapter: 'express',
    library: 'round-trips',
    store: 'redis',
    peer: 'express-session-redis',
  },
  { id: 'express-handler-shape', adapter: 'express', library: 'handler-shape', store: 'none' },
  { id: 'fastify-baseline', adapter: 'fastify', library: 'baseline', store: 'none' },
  {
    id: 'fastify-session-memory',
    adapter: 'fastify',
    library: '@fastify/session',
    store: 'memory',
  },
  {
    id: 'ours-fastify-memory',
    adapter: 'fastify',
    library: 'ours',
    store: 'memory',
    peer: 'fastify-session-memory',
  },
  { id: 'ours-fastify-redis', adapter: 'fastify', library: 'ours', store: 'redis' },
  { id: 'fastify-handler-shape', adapter: 'fastify', library: 'handler-shape', store: 'none' },
  { id: 'fastify-minimal-layer', adapter: 'fastify', library: 'minimal-layer', store: 'memory' },
];

/** The variants of the memory check: each gets a fresh process. */
export const MEMORY_VARIANTS: readonly Variant[] = [
  {
    id: 'ours-express-memory-capped',
    adapter: 'express',
    library: 'ours',
    store: 'memory',
    memoryCap: 10_000,
  },
  {
    id: 'express-session-memory-fresh',
    adapter: 'express',
    library: 'express-session',
    store: 'memory',
  },
];

export function findVariant(id: string): Variant {
  const variant = [...THROUGHPUT_VARIANTS, ...MEMORY_VARIANTS].find((v) => v.id === id);
  if (!variant) throw new Error(`unknown bench variant "${id}"`);
  return variant;
}

/** How the results name a variant: its library, its store, its cap. */
export function describeVariant(variant: Variant): string {
  if (variant.library === 'round-trips') return 'no session, its Redis round trips only';
  if (variant.library === 'handler-shape') return "no session, ours' handler shape only";
  if (variant.library === 'minimal-layer') return 'a minimal session layer, memory';
  const store = { none: '', memory: ', memory', redis: ', Redis' }[variant.store];
  const cap = variant.memoryCap === undefined ? '' : `, cap ${variant.memoryCap} sessions`;
  return `${variant.library}${store}${cap}`;
}
