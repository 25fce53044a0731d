import type { Cache } from 'cache-manager';
import { KeyedQueue } from '../core/keyed-queue.js';
import type { SessionRecord } from '../core/session-record.js';
import type {
  CommitOutcome,
  MoveOutcome,
  SessionStore,
  StoreLookup,
} from '../core/session-store.js';
import { MOVED_TEXT, decodeSessionText, encodeSessionText } from './session-text.js';
import { WatchedKeyv } from './watched-keyv.js';

/**
 * Sessions in any cache-manager `Cache`, as JSON text through its Keyv stores. Keyv offers no
 * compare-and-set, so a commit is a read-compare-write that is atomic only inside this process
 * (commits of one session queue behind each other here). Two instances can still interleave
 * theirs in the window between the read and the write: Redis gets its own atomic store.
 *
 * Several stores in one cache are layers: a read takes the first that has the key, a write goes
 * to all of them.
 */
export class KeyvSessionStore implements SessionStore {
  readonly atomic = false;
  private readonly stores: WatchedKeyv[];
  private readonly commits = new KeyedQueue();

  constructor(cache: Cache) {
    this.stores = cache.stores.map((keyv) => new WatchedKeyv(keyv));
  }

  /** Takes the store's listeners off the app's Keyv stores, which outlive the app when shared. */
  release(): void {
    for (const store of this.stores) store.release();
  }

  async load(key: string): Promise<StoreLookup> {
    return lookupOf(await this.readText(key));
  }

  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
  ): Promise<CommitOutcome> {
    return this.commits.run(key, async () => {
      // A new session's key comes from a random id: nothing to compare with, one write.
      if (expected === undefined) return this.write(key, record, ttl);
      const read = await this.readText(key);
      if (read.corrupt || read.text !== expected) {
        return { committed: false, current: lookupOf(read) };
      }
      return this.write(key, record, ttl);
    });
  }

  private async write(key: string, record: SessionRecord, ttl: number): Promise<CommitOutcome> {
    const text = encodeSessionText(record);
    await this.writeText(key, text, ttl);
    return { committed: true, version: text };
  }

  move(key: string, expected: unknown, ttl: number): Promise<MoveOutcome> {
    return this.commits.run(key, async () => {
      const read = await this.readText(key);
      if (read.corrupt || read.text === undefined || read.text !== expected) {
        return { moved: false, current: lookupOf(read) };
      }
      await this.writeText(key, MOVED_TEXT, ttl);
      return { moved: true, marker: MOVED_TEXT };
    });
  }

  delete(key: string): Promise<void> {
    return this.commits.run(key, async () => {
      await Promise.all(this.stores.map((store) => store.call((keyv) => keyv.delete(key))));
    });
  }

  private async readText(key: string): Promise<StoredText> {
    for (const store of this.stores) {
      const { value, corrupt } = await store.read(key);
      if (corrupt) return { text: undefined, corrupt };
      if (value !== undefined && value !== null) return { text: value, corrupt };
    }
    return { text: undefined, corrupt: false };
  }

  private async writeText(key: string, text: string, ttl: number): Promise<void> {
    await Promise.all(this.stores.map((store) => store.write(key, text, ttl)));
  }
}

/** What the stores hold under a key: the value read (the version too), or undecodable bytes. */
interface StoredText {
  text: unknown;
  corrupt: boolean;
}

function lookupOf({ text, corrupt }: StoredText): StoreLookup {
  return corrupt ? 'corrupt' : decodeSessionText(text, text);
}
