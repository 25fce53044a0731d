import type { Load } from './load.js';

/** The routes every variant serves, measured for every variant. */
export const ROUTES = ['/untouched', '/read', '/write'] as const;

/** Other ways ours reads the session, measured on ours with the memory store on Express. */
export const PATH_ROUTES = [
  '/read-session',
  '/read-scoped',
  '/read-bound',
  '/write-bound',
] as const;

/** The paths measured on sessions bound to a user (their own sessions, bound before the rounds). */
export const BOUND_ROUTES: readonly string[] = ['/read-bound', '/write-bound'];

/** The variant whose read paths are compared. */
export const PATH_VARIANT = 'ours-express-memory';

/** One measurement: a variant, a route, a round. */
export interface Sample {
  round: number;
  variant: string;
  route: string;
  load: Load;
  /** CPU time the app spent per request sent, microseconds. */
  cpuMicros: number;
  /** Redis commands per request sent, for variants on Redis. */
  redisCommands?: number;
}
