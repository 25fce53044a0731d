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
 * How each script reads its key. A `GET` of a key of another Redis type (a hash, a list left
 * there by other software) fails with WRONGTYPE: that key holds no session this library can read,
 * so the script answers -1 (read as corrupt data) instead of an error reply, which would read as
 * an outage and answer 503 for that cookie on every request. Any other error stays an error.
 */
const READ_CURRENT = `
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'table' then
  if string.sub(current.err or '', 1, 9) == 'WRONGTYPE' then return -1 end
  return current
end
`;

/**
 * Compare-and-set. ARGV: the SHA-1 of the value this request read ('' when it expects nothing),
 * the new value, the TTL in ms. Returns 1 when written, else what is stored now (0 for nothing,
 * -1 for a key of another type), so a conflict costs no extra round trip to learn the current
 * state.
 */
export const COMPARE_AND_SET = script(`${READ_CURRENT}
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
 * Compare-and-move, the last step of `regenerateId()`. ARGV: the SHA-1 of the value the new
 * key's record was built from, the moved marker, its TTL in ms. If that value is still stored,
 * replaces it with the marker and returns 1, in one step, so no commit of the old id lands in
 * between; else returns what is stored now (0 for nothing, -1 for a key of another type).
 */
export const MOVE = script(`${READ_CURRENT}
if not current then return 0 end
if redis.sha1hex(current) ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/**
 * Whether the key holds exactly the UTF-8 bytes of a text read from it. ARGV: that text's SHA-1.
 * Returns 1 when it does, else what is stored now (0 for nothing, -1 for a key of another type).
 * The client decodes a reply as UTF-8, with U+FFFD in place of bytes that are not UTF-8: such a
 * text is not what Redis holds, and no compare-and-set against it could ever succeed.
 */
export const HOLDS_TEXT = script(`${READ_CURRENT}
if not current then return 0 end
if redis.sha1hex(current) == ARGV[1] then return 1 end
return current
`);

/** The SHA-1 a script compares with, of the bytes a request read from Redis. */
export function versionOf(raw: string): string {
  return hash('sha1', raw);
}

/** Whether `error` is Redis's WRONGTYPE reply: a key of another Redis type, holding no session. */
export function isWrongTypeReply(error: unknown): boolean {
  return String((error as Error | undefined)?.message).startsWith('WRONGTYPE');
}
