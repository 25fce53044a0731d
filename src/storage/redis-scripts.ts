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
 * Whether `current` is what the request expects: `mode` says how `expected` names it, `'bytes'`
 * (the text itself) or `'sha1'` (its SHA-1 in hex); `'none'` expects nothing, which no stored
 * value is.
 */
const HOLDS = `
local function holds(current, mode, expected)
  if mode == 'bytes' then return current == expected end
  if mode == 'sha1' then return redis.sha1hex(current) == expected end
  return false
end
`;

/**
 * Compare-and-set. ARGV: how the value this request read is named and that name (see
 * {@link expectationOf}), the new value, the TTL in ms. Returns 1 when written, else what is
 * stored now (0 for nothing, -1 for a key of another type), so a conflict costs no extra round
 * trip to learn the current state.
 */
export const COMPARE_AND_SET = script(`${READ_CURRENT}${HOLDS}
local matches
if current then matches = holds(current, ARGV[1], ARGV[2]) else matches = ARGV[1] == 'none' end
if matches then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return 1
end
if current then return current end
return 0
`);

/**
 * Compare-and-move, the last step of `regenerateId()`. ARGV: how the value the new key's record
 * was built from is named and that name (see {@link expectationOf}), the moved marker, its TTL in
 * ms. If that value is still stored, replaces it with the marker and returns 1, in one step, so
 * no commit of the old id lands in between; else returns what is stored now (0 for nothing, -1
 * for a key of another type).
 */
export const MOVE = script(`${READ_CURRENT}${HOLDS}
if not current then return 0 end
if not holds(current, ARGV[1], ARGV[2]) then return current end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`);

/**
 * Whether the key holds exactly the UTF-8 bytes of a text read from it. ARGV: how that text is
 * named and that name (see {@link expectationOf}). Returns 1 when it does, else what is stored
 * now (0 for nothing, -1 for a key of another type). The client decodes a reply as UTF-8, with
 * U+FFFD in place of bytes that are not UTF-8: such a text is not what Redis holds, and no
 * compare-and-set against it could ever succeed.
 */
export const HOLDS_TEXT = script(`${READ_CURRENT}${HOLDS}
if not current then return 0 end
if holds(current, ARGV[1], ARGV[2]) then return 1 end
return current
`);

/**
 * Texts up to this many characters (UTF-16 units, so at most 1.5 kB of UTF-8, and 512 bytes for
 * the ASCII of most sessions) are compared byte for byte: sending them again costs less, in the
 * app and in Redis, than hashing them on both sides (a SHA-1 costs each side about 2 µs even for
 * a short text), and on a 1 Gb/s link 512 bytes take about 4 µs. A longer text is compared by its
 * SHA-1, so a large session does not double the bytes of every write.
 */
const MAX_COMPARED_LENGTH = 512;

/**
 * The first two arguments of a script for a request that read `raw` from the key (`undefined`:
 * it read nothing): how the script is to recognize that value, and the text or digest to do it
 * with.
 */
export function expectationOf(raw: unknown): [mode: 'none' | 'bytes' | 'sha1', expected: string] {
  if (typeof raw !== 'string') return ['none', ''];
  if (raw.length <= MAX_COMPARED_LENGTH) return ['bytes', raw];
  return ['sha1', hash('sha1', raw)];
}

/** Whether `error` is Redis's WRONGTYPE reply: a key of another Redis type, holding no session. */
export function isWrongTypeReply(error: unknown): boolean {
  return String((error as Error | undefined)?.message).startsWith('WRONGTYPE');
}
