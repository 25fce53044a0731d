/**
 * Loaded into every app process before the app (`--import`, unless `BENCH_STEADY_TICKS=off`), so
 * that all of them run Node's `process.nextTick()` at the same speed.
 *
 * Node 20 queues each tick as `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback,
 * args }`. V8 builds that object one property at a time, along hidden classes it keeps only while
 * some object uses them. When a garbage collection runs at a moment no tick is queued (which
 * happens or not while an app starts, as its module loading allocates), those hidden classes are
 * dropped, the next tick gets new ones, and the literal's inline caches, having seen two, stay
 * megamorphic for the life of the process: every tick object after that is built through V8's
 * runtime, about 35 k instructions more per request on Fastify (a quarter of a bare request).
 * About half the processes of every app went that way, the bare app's as often as ours', so the
 * ratio of a round measured that draw as much as the session layers.
 *
 * An object of the same shape, built here first and never freed, keeps those hidden classes alive,
 * and every process takes the fast way. Its values have the representations Node's own have (the
 * ids are doubles, read from a `Float64Array`). On a Node whose tick objects are not keyed by those
 * two symbols, this finds no symbols and does nothing.
 */
import { AsyncResource } from 'node:async_hooks';

const idKeys = Object.getOwnPropertySymbols(new AsyncResource('bench-steady-ticks'));
const asyncIdKey = idKeys.find((key) => key.description === 'async_id_symbol');
const triggerIdKey = idKeys.find((key) => key.description === 'trigger_async_id_symbol');

/** The object that keeps the tick objects' hidden classes alive; built in Node's own order. */
export const tickShapeAnchor =
  asyncIdKey && triggerIdKey
    ? { [asyncIdKey]: 0.5, [triggerIdKey]: 0.5, callback: () => undefined, args: undefined }
    : undefined;
