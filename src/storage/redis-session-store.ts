import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import type { SessionRecord } from '../core/session-record.js';
import type {
  CommitOutcome,
  MaybePromise,
  MoveOutcome,
  SessionStore,
  StoreLookup,
} from '../core/session-store.js';
import {
  followClusterTopology,
  isRedisClusterClient,
  pingClusterMasters,
  type ClusterTopologyFollower,
} from './cluster-topology.js';
import { then } from '../core/maybe-promise.js';
import { RecentSessions } from './recent-sessions.js';
import {
  COMPARE_AND_SET,
  HOLDS_TEXT,
  MOVE,
  expectationOf,
  isWrongTypeReply,
  type RedisScript,
} from './redis-scripts.js';
import { MOVED_TEXT, decodeSessionText, encodeSessionText } from './session-text.js';

/** The node-redis client calls the store makes (a standalone client or a cluster client). */
interface RedisClientLike {
  readonly isOpen: boolean;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  unlink(key: string): Promise<number>;
  evalSha(sha: string, options: ScriptArgs): Promise<unknown>;
  eval(source: string, options: ScriptArgs): Promise<unknown>;
  scriptLoad?(source: string): Promise<string>;
}

interface ScriptArgs {
  keys: string[];
  arguments: string[];
}

/** The public API of `@keyv/redis`'s adapter that the store relies on. */
interface KeyvRedisLike {
  readonly client: RedisClientLike;
  namespace?: string;
  /** Whether keys are removed with `UNLINK` (the adapter's default) rather than `DEL`. */
  readonly useUnlink?: boolean;
  getClient(): Promise<unknown>;
  isCluster?(): boolean;
  createKeyPrefix(key: string, namespace?: string): string;
}

type Envelope = { value?: unknown; expires?: number } | undefined;

/** How far ahead of a moved marker's writer another instance's clock may run (see `lookupOf`). */
const MARKER_CLOCK_SLACK_MS = 10 * 60_000;

/** The messages of failures that only say the client is not connected, not why. */
const NOT_CONNECTED = /^(The client is (closed|offline)|Redis client is not connected)/;
const LAST_ERROR = "; the Redis client's last error: ";

/** What the scripts answer for a key of another Redis type (see `READ_CURRENT`). */
const WRONG_TYPE = -1;

/**
 * Sessions on Redis through the user's `@keyv/redis` Keyv, written atomically: each commit is one
 * compare-and-set script, so across any number of app instances no update is lost and a
 * destroyed or regenerated session is never written back. The records stay in Keyv's format
 * (same key, same serialized `{ value, expires }` envelope), so the Keyv itself still reads them.
 */
export class RedisSessionStore implements SessionStore {
  readonly atomic = true;
  private connecting: Promise<unknown> | undefined;
  private readonly recent = new RecentSessions();
  /**
   * What the client last reported (a refused password, a refused connection). A call made while
   * the client is not connected fails with a message that does not say why; this does.
   */
  private lastClientError: string | undefined;
  // Keyv re-emits client errors; without a listener an `error` event would crash the process.
  private readonly noteError = (error: unknown): void => {
    const message = messageOf(error);
    // The adapter's own connect timeout follows the client's reason (WRONGPASS, ECONNREFUSED),
    // and would hide it.
    if (this.lastClientError !== undefined && message.startsWith('Redis timed out after')) return;
    this.lastClientError = message;
  };

  private constructor(
    private readonly keyv: Keyv,
    private readonly adapter: KeyvRedisLike,
    private readonly serialize: (data: unknown) => string | Promise<string>,
    private readonly deserialize: (data: string) => Envelope | Promise<Envelope>,
    /** Whether `serialize`/`deserialize` are Keyv's own defaults, which the store can inline. */
    private readonly defaultCodec: boolean,
    /** On a cluster: told of every command, so one that fails or hangs re-reads the slot map. */
    private readonly follower: ClusterTopologyFollower | undefined,
  ) {
    keyv.on('error', this.noteError);
  }

  /** Takes the store's listener off the app's Keyv, which outlives the app when shared. */
  release(): void {
    this.keyv.off('error', this.noteError);
  }

  /**
   * The atomic store for `cache` when its one store is a `@keyv/redis` Keyv the store can speak
   * for (default or custom serializer, no compression); `undefined` otherwise.
   */
  static for(cache: Cache): RedisSessionStore | undefined {
    if (cache.stores.length !== 1) return undefined;
    const keyv = cache.stores[0]!;
    const adapter = keyv.store as Partial<KeyvRedisLike> | undefined;
    const client = adapter?.client;
    if (
      typeof adapter?.createKeyPrefix !== 'function' ||
      typeof adapter.getClient !== 'function' ||
      typeof client?.evalSha !== 'function' ||
      typeof client.eval !== 'function' ||
      keyv.compression !== undefined ||
      typeof keyv.serialize !== 'function' ||
      typeof keyv.deserialize !== 'function'
    ) {
      return undefined;
    }
    // node-redis v5 would keep sending a failed master's slots to the dead node.
    const follower = isRedisClusterClient(client) ? followClusterTopology(client) : undefined;
    return new RedisSessionStore(
      keyv,
      adapter as KeyvRedisLike,
      keyv.serialize as (data: unknown) => string,
      keyv.deserialize as (data: string) => Envelope,
      usesDefaultCodec(keyv),
      follower,
    );
  }

  /**
   * Connects, and loads the scripts on a standalone server so the first commits pay no `NOSCRIPT`
   * round trip (a cluster loads them node by node, on first use). A server that refuses the load
   * (a Redis user without `SCRIPT LOAD`) is still a connected store: the commits send each script
   * with `EVAL` once instead.
   */
  async connect(): Promise<void> {
    const client = await this.connected();
    if (this.adapter.isCluster?.() !== false || typeof client.scriptLoad !== 'function') return;
    await Promise.all(
      [COMPARE_AND_SET, MOVE, HOLDS_TEXT].map((script) => client.scriptLoad!(script.source)),
    ).catch(() => undefined);
  }

  async checkHealth(timeout: number): Promise<void> {
    const client = this.adapter.client;
    if (isRedisClusterClient(client)) await pingClusterMasters(client, timeout);
  }

  describeKey(key: string): string {
    return `Redis key ${this.redisKey(key)}`;
  }

  load(key: string): Promise<StoreLookup> {
    try {
      return this.watched(this.client().get(this.redisKey(key))).then(
        (raw) => (raw === null ? this.forget(key) : this.read(key, raw)),
        (error: unknown) => {
          // A key of another Redis type holds no session: corrupt data, not an outage.
          if (!isWrongTypeReply(error)) throw this.explained(error);
          this.recent.forget(key);
          return 'corrupt' as const;
        },
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
  ): Promise<CommitOutcome> {
    const text = encodeSessionText(record);
    const expires = Date.now() + ttl;
    const encoded = this.encode(text, expires);
    const raw = typeof encoded === 'string' ? encoded : await encoded;
    for (let against = expected; ;) {
      const [mode, compared] = expectationOf(against);
      const reply = await this.run(COMPARE_AND_SET, key, [
        mode,
        compared,
        raw,
        String(Math.ceil(ttl)),
      ]);
      if (reply === 1) {
        this.recent.remember(
          key,
          raw,
          { record, version: raw, size: Buffer.byteLength(text) },
          expires,
        );
        return { committed: true, version: raw };
      }
      const current = await this.current(key, reply, against);
      // Bytes that hold no session (an envelope past its `expires` whose key Redis keeps, for a
      // TTL changed by hand or a writer's clock behind this one; an empty value) count as nothing
      // stored. Expecting nothing against them would fail on every retry: compare with them, once.
      if (against === undefined && current === undefined && typeof reply === 'string') {
        against = reply;
        continue;
      }
      return { committed: false, current };
    }
  }

  async move(key: string, expected: unknown, ttl: number): Promise<MoveOutcome> {
    const marker = await this.encode(MOVED_TEXT, Date.now() + ttl);
    const [mode, compared] = expectationOf(expected);
    const reply = await this.run(MOVE, key, [mode, compared, marker, String(ttl)]);
    if (reply === 1) {
      this.recent.forget(key);
      return { moved: true, marker };
    }
    return { moved: false, current: await this.current(key, reply, expected) };
  }

  async delete(key: string): Promise<void> {
    this.recent.forget(key);
    const redisKey = this.redisKey(key);
    // The command the Keyv adapter itself removes keys with, so a Redis ACL written for Keyv
    // (which may allow only that one) lets sessions be destroyed too.
    const unlink = this.adapter.useUnlink !== false;
    await this.watched(
      this.connected().then((client) => (unlink ? client.unlink(redisKey) : client.del(redisKey))),
    ).catch((error: unknown) => {
      throw this.explained(error);
    });
  }

  /**
   * The client once connected. A client whose first connect failed is closed for good by the
   * adapter, so it is connected again here, once for all the requests that find it closed.
   */
  private async connected(): Promise<RedisClientLike> {
    const client = this.adapter.client;
    if (client.isOpen) return client;
    this.connecting ??= this.adapter.getClient().then(
      (client) => {
        this.connecting = undefined;
        return client;
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw this.explained(error);
      },
    );
    await this.connecting;
    return this.adapter.client;
  }

  /** The calls of a request's store operation: straight to the client when it is connected. */
  private client(): ClientNow {
    const client = this.adapter.client;
    return client.isOpen ? client : lateClient(this.connected());
  }

  private run(script: RedisScript, key: string, args: string[]): Promise<unknown> {
    const client = this.client();
    const options = { keys: [this.redisKey(key)], arguments: args };
    return this.watched(
      client.evalSha(script.sha, options).catch((error: unknown) => {
        if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw this.explained(error);
        return client.eval(script.source, options);
      }),
    );
  }

  /**
   * `error` with the client's last reported error added, when it only says that the client is
   * not connected (node-redis: closed, offline; the Keyv adapter: not connected); else `error`.
   */
  private explained(error: unknown): unknown {
    const last = this.lastClientError;
    const message = messageOf(error);
    if (last === undefined || !NOT_CONNECTED.test(message) || message.includes(LAST_ERROR)) {
      return error;
    }
    return new Error(`${message}${LAST_ERROR}${last}`, { cause: error });
  }

  /**
   * `command`, watched on a cluster: a failover the client has not followed shows only as
   * commands that fail, or hang on a master that stalled.
   */
  private watched<T>(command: Promise<T>): Promise<T> {
    return this.follower ? this.follower.watch(command) : command;
  }

  /** The key Keyv itself uses for `key` (its namespace, then the adapter's). */
  private redisKey(key: string): string {
    const { namespace, useKeyPrefix } = this.keyv;
    const prefixed =
      useKeyPrefix && namespace && !key.startsWith(`${namespace}:`) ? `${namespace}:${key}` : key;
    return this.adapter.createKeyPrefix(prefixed, this.adapter.namespace);
  }

  private encode(text: string, expires: number): MaybePromise<string> {
    // The bytes Keyv's default serializer writes for this envelope: the text is JSON and starts
    // with `{`, so none of its escaping applies.
    if (this.defaultCodec) return `{"value":${JSON.stringify(text)},"expires":${expires}}`;
    return this.serialize({ value: text, expires });
  }

  /** What `raw`, just read under `key`, holds: decoded only if it changed since last seen. */
  private read(key: string, raw: string): MaybePromise<StoreLookup> {
    const known = this.recent.find(key, raw);
    if (known) return isPast(known.expires) ? undefined : known.session;
    // U+FFFD may stand in for bytes that are not UTF-8; rare in a session, so only such a text
    // costs a round trip to learn whether Redis holds exactly it.
    if (raw.includes('\uFFFD')) return this.readChecked(key, raw);
    return this.decode(key, raw);
  }

  /**
   * What `raw`, which holds U+FFFD, stands for. Bytes that are not UTF-8 are data this library
   * cannot read faithfully: corrupt, as no compare-and-set against that text could ever succeed
   * (each would fail, be retried, and the request answer 503 once `storeTimeout` ran out).
   */
  private async readChecked(key: string, raw: string): Promise<StoreLookup> {
    const reply = await this.run(HOLDS_TEXT, key, expectationOf(raw));
    return reply === 1 ? this.decode(key, raw) : this.current(key, reply, raw);
  }

  /** Decodes `raw`, read under `key`, and remembers what it holds. */
  private decode(key: string, raw: string): MaybePromise<StoreLookup> {
    return then(this.envelopeOf(raw), (envelope) => {
      const found = lookupOf(envelope, raw);
      if (typeof found !== 'object' || envelope === 'corrupt') {
        this.recent.forget(key);
        return found;
      }
      this.recent.remember(key, raw, found, envelope?.expires);
      return found;
    });
  }

  /**
   * What a script that did not write found under `key`, from its reply, when it compared with
   * the text `compared`. That very text again means other bytes that decode to it, not UTF-8:
   * corrupt, since retrying against it could never succeed.
   */
  private current(key: string, reply: unknown, compared: unknown): MaybePromise<StoreLookup> {
    if (typeof reply === 'string' && reply !== compared) return this.read(key, reply);
    this.recent.forget(key);
    return reply === WRONG_TYPE || typeof reply === 'string' ? 'corrupt' : undefined;
  }

  /** Nothing is stored under `key`. */
  private forget(key: string): undefined {
    this.recent.forget(key);
    return undefined;
  }

  private envelopeOf(raw: string): MaybePromise<Envelope | 'corrupt'> {
    let envelope: MaybePromise<Envelope>;
    try {
      envelope = this.defaultCodec ? parseEnvelope(raw, this.deserialize) : this.deserialize(raw);
    } catch {
      return 'corrupt';
    }
    return envelope instanceof Promise ? envelope.catch(() => 'corrupt' as const) : envelope;
  }
}

/** The client calls of one store operation, on a client connected now or once it connects. */
type ClientNow = Pick<RedisClientLike, 'get' | 'evalSha' | 'eval'>;

function lateClient(connected: Promise<RedisClientLike>): ClientNow {
  return {
    get: (key) => connected.then((client) => client.get(key)),
    evalSha: (sha, options) => connected.then((client) => client.evalSha(sha, options)),
    eval: (source, options) => connected.then((client) => client.eval(source, options)),
  };
}

function lookupOf(envelope: Envelope | 'corrupt', raw: string): StoreLookup {
  if (envelope === 'corrupt') return 'corrupt';
  // The moved marker lives as long as Redis keeps it (a relative TTL). Its `expires` is the
  // writer's clock: on an instance whose clock is ahead it would read as gone early, and a late
  // sibling of the login would start a session whose cookie signs the user out. Bounded all the
  // same, for a key whose TTL was taken off (`PERSIST`, a restore that drops TTLs).
  const expires = envelope?.expires;
  const slack = envelope?.value === MOVED_TEXT ? MARKER_CLOCK_SLACK_MS : 0;
  if (typeof expires === 'number' && isPast(expires + slack)) return undefined;
  // The version is the text read; a commit compares the stored bytes with it (see `expectationOf`).
  return decodeSessionText(envelope?.value, raw);
}

function isPast(expires: number | undefined): boolean {
  return typeof expires === 'number' && expires < Date.now();
}

/**
 * Keyv's default deserializer without its reviver, which only matters for strings that start
 * with `:` (escaped strings and buffers): such a value goes through Keyv's own.
 */
function parseEnvelope(raw: string, deserialize: (data: string) => MaybePromise<Envelope>) {
  const envelope = JSON.parse(raw) as Envelope;
  const value = envelope?.value;
  return typeof value === 'string' && value.startsWith(':') ? deserialize(raw) : envelope;
}

/**
 * Whether `keyv` still has the serializer and deserializer its class starts with (Keyv's
 * defaults, from the user's own copy of Keyv): read from a bare instance of that class.
 */
function usesDefaultCodec(keyv: Keyv): boolean {
  try {
    const fresh = new (keyv.constructor as new () => Keyv)();
    return keyv.serialize === fresh.serialize && keyv.deserialize === fresh.deserialize;
  } catch {
    return false;
  }
}

/**
 * The message of a client error. A refused connection to a name with several addresses fails
 * with an `AggregateError` whose own message is empty: its first error says what happened.
 */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const first = (error as Partial<AggregateError>).errors?.[0];
  return first === undefined
    ? String((error as { code?: unknown }).code ?? error)
    : messageOf(first);
}
