import type { StoredSession } from '../core/session-store.js';

/** How many sessions are remembered; the oldest remembered is dropped first. */
const MAX_SESSIONS = 1000;

/**
 * Texts longer than this are decoded on every read: with this cap the remembered texts take at
 * most 4 MB, and a session that large costs its request far more in transfer than in decoding.
 */
const MAX_TEXT_LENGTH = 4096;

interface Remembered {
  readonly text: string;
  readonly session: StoredSession;
  /** Epoch ms the stored envelope says the session expires at, if it says. */
  readonly expires: number | undefined;
}

/**
 * The sessions this instance last read or wrote, decoded, each with the exact text it was decoded
 * from. A read still fetches the text every time, so a write from any other instance is seen at
 * once; only when the text is unchanged does it skip decoding it (two JSON parses and a walk of
 * the record). Sharing the decoded record is safe because a stored record is never changed in
 * place: a request that writes works on its own copy.
 */
export class RecentSessions {
  readonly #remembered = new Map<string, Remembered>();

  /** What was remembered for `key` if it was decoded from exactly `text`. */
  find(key: string, text: string): Remembered | undefined {
    const remembered = this.#remembered.get(key);
    return remembered?.text === text ? remembered : undefined;
  }

  /** Remembers `session`, decoded from `text`, as what is stored under `key`. */
  remember(key: string, text: string, session: StoredSession, expires: number | undefined): void {
    this.#remembered.delete(key);
    if (text.length > MAX_TEXT_LENGTH) return;
    this.#remembered.set(key, { text, session, expires });
    if (this.#remembered.size > MAX_SESSIONS) {
      this.#remembered.delete(this.#remembered.keys().next().value!);
    }
  }

  /** Forgets `key`: what is stored there changed in a way only a fresh read can tell. */
  forget(key: string): void {
    this.#remembered.delete(key);
  }

  /** How many sessions are remembered. */
  get size(): number {
    return this.#remembered.size;
  }
}
