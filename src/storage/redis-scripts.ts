import { hash } from 'node:crypto';

/**
 * A Lua script Redis runs atomically, sent by its SHA-1 (`EVALSHA`) and loaded with `EVAL` when a
 * node does not know it yet (a restart, a promoted replica). Each touches one key only, so it
 * runs on Redis Cluster too, where a script's keys must live in one slot.
 */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: hash('sha1', source) };
}

/**
 * Compare-and-set. ARGV: the SHA-1 of the value this request read ('' when it expects nothing),
 * the new value, the TTL in ms. Returns 1 when written, else what is stored now (0 for nothing),
 * so a conflict costs no extra round trip to learn the current state.
 */
export const COMPARE_AND_SET = script(`
local current = redis.call('GET', KEYS[1])
local matches
if current then matches = redis.sha1hex(current) == ARGV[1] else matches = ARGV[1] == '' end
if matches then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
if current then return current end
return 0
`);

/**
 * Takes a session for `regenerateId()`: returns what is stored (0 for nothing) and leaves the
 * moved marker ARGV[1] for ARGV[2] ms, in one step, so no commit of the old id lands in between.
 */
export const MOVE = script(`
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return current
`);

/** The SHA-1 a script compares with, of the bytes a request read from Redis. */
export function versionOf(raw: string): string {
  return hash('sha1', raw);
}
