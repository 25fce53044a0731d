import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import type { SessionRecord } from '../core/session-record.js';
import type { CommitOutcome, SessionStore, StoreLookup } from '../core/session-store.js';
import {
  followClusterTopology,
  isRedisClusterClient,
  pingClusterMasters,
} from './cluster-topology.js';
import { COMPARE_AND_SET, MOVE, versionOf, type RedisScript } from './redis-scripts.js';
import { MOVED_TEXT, decodeSessionText, encodeSessionText } from './session-text.js';

/** The node-redis client calls the store makes (a standalone client or a cluster client). */
interface RedisClientLike {
  readonly isOpen: boolean;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
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
  getClient(): Promise<unknown>;
  isCluster?(): boolean;
  createKeyPrefix(key: string, namespace?: string): string;
}

type Envelope = { value?: unknown; expires?: number } | undefined;

/**
 * Sessions on Redis through the user's `@keyv/redis` Keyv, written atomically: each commit is one
 * compare-and-set script, so across any number of app instances no update is lost and a
 * destroyed or regenerated session is never written back. The records stay in Keyv's format
 * (same key, same serialized `{ value, expires }` envelope), so the Keyv itself still reads them.
 */
export class RedisSessionStore implements SessionStore {
  readonly atomic = true;
  private connecting: Promise<unknown> | undefined;

  private constructor(
    private readonly keyv: Keyv,
    private readonly adapter: KeyvRedisLike,
    private readonly serialize: (data: unknown) => string | Promise<string>,
    private readonly deserialize: (data: string) => Envelope | Promise<Envelope>,
  ) {
    // Keyv re-emits client errors; without a listener an `error` event would crash the process.
    keyv.on('error', () => undefined);
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
    if (isRedisClusterClient(client)) followClusterTopology(client);
    return new RedisSessionStore(
      keyv,
      adapter as KeyvRedisLike,
      keyv.serialize as (data: unknown) => string,
      keyv.deserialize as (data: string) => Envelope,
    );
  }

  /**
   * Connects, and loads the scripts on a standalone server so the first commits pay no `NOSCRIPT`
   * round trip (a cluster loads them node by node, on first use).
   */
  async connect(): Promise<void> {
    const client = await this.client();
    if (this.adapter.isCluster?.() !== false || typeof client.scriptLoad !== 'function') return;
    await Promise.all([client.scriptLoad(COMPARE_AND_SET.source), client.scriptLoad(MOVE.source)]);
  }

  async checkHealth(timeout: number): Promise<void> {
    const client = this.adapter.client;
    if (isRedisClusterClient(client)) await pingClusterMasters(client, timeout);
  }

  async load(key: string): Promise<StoreLookup> {
    const raw = await (await this.client()).get(this.redisKey(key));
    return raw === null ? undefined : this.decode(raw);
  }

  async commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
  ): Promise<CommitOutcome> {
    const raw = await this.encode(encodeSessionText(record), ttl);
    const reply = await this.run(COMPARE_AND_SET, key, [
      typeof expected === 'string' ? versionOf(expected) : '',
      raw,
      String(Math.ceil(ttl)),
    ]);
    if (reply === 1) return { committed: true, version: raw };
    return {
      committed: false,
      current: typeof reply === 'string' ? await this.decode(reply) : undefined,
    };
  }

  async move(key: string, ttl: number): Promise<StoreLookup> {
    const marker = await this.encode(MOVED_TEXT, ttl);
    const reply = await this.run(MOVE, key, [marker, String(ttl)]);
    return typeof reply === 'string' ? this.decode(reply) : undefined;
  }

  async delete(key: string): Promise<void> {
    await (await this.client()).del(this.redisKey(key));
  }

  /**
   * The connected client. A client whose first connect failed is closed for good by the adapter,
   * so it is connected again here, once for all the requests that find it closed.
   */
  private async client(): Promise<RedisClientLike> {
    const client = this.adapter.client;
    if (client.isOpen) return client;
    this.connecting ??= this.adapter.getClient().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
    return this.adapter.client;
  }

  private async run(script: RedisScript, key: string, args: string[]): Promise<unknown> {
    const client = await this.client();
    const options = { keys: [this.redisKey(key)], arguments: args };
    try {
      return await client.evalSha(script.sha, options);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return client.eval(script.source, options);
    }
  }

  /** The key Keyv itself uses for `key` (its namespace, then the adapter's). */
  private redisKey(key: string): string {
    const { namespace, useKeyPrefix } = this.keyv;
    const prefixed =
      useKeyPrefix && namespace && !key.startsWith(`${namespace}:`) ? `${namespace}:${key}` : key;
    return this.adapter.createKeyPrefix(prefixed, this.adapter.namespace);
  }

  private async encode(text: string, ttl: number): Promise<string> {
    return this.serialize({ value: text, expires: Date.now() + ttl });
  }

  private async decode(raw: string): Promise<StoreLookup> {
    let envelope: Envelope;
    try {
      envelope = await this.deserialize(raw);
    } catch {
      return 'corrupt';
    }
    if (typeof envelope?.expires === 'number' && envelope.expires < Date.now()) return undefined;
    // The version is the bytes read; their SHA-1 is computed only when a commit compares them.
    return decodeSessionText(envelope?.value, raw);
  }
}
