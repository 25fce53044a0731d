/**
 * Loaded into every app process before the app (`--import`, unless `BENCH_STEADY_TICKS=off`), so
 * that all of them run Node's `process.nextTick()` at the same speed.
 *
 * Node 20 queues each tick as `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback,
 * args }`, which V8 builds one property at a time, along hidden classes. In about half the
 * processes of every app, the bare app's as often as ours', the inline caches of those steps have
 * seen a second hidden class by the time the app has started, stay megamorphic for the life of the
 * process, and every tick object after that is built through V8's runtime: about 35 k
 * instructions more per request on Fastify (a quarter of a bare request). The ratio of a round then
 * measured that draw as much as the session layers.
 *
 * An object of the same shape, built here first and never freed, keeps one set of those hidden
 * classes alive, and every process measured with it took the fast way. Its values have the
 * representations Node's own have (the ids are doubles, read from a `Float64Array`). On a Node
 * whose tick objects are not keyed by those two symbols, this finds no symbols and does nothing.
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
