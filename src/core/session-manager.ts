import { expiredCookieHeader, readSessionId, sessionCookieHeader } from './cookie.js';
import { validateCookieParams, type CookieParams } from './cookie-params.js';
import { CsrfToken, decodeCsrfSecret, newCsrfSecret } from './csrf-token.js';
import type { HttpExchange } from './http-exchange.js';
import { SessionSegment, type Segment, type SegmentHost } from './segment.js';
import { applyChange, type SessionChange } from './session-change.js';
import { newSessionId, storeKeyFor } from './session-id.js';
import { newRecord, parseRecord, serializeRecord, type SessionRecord } from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';
import { SessionTooLargeError, SessionUnavailableError } from './errors.js';

/**
 * The session of one request (Aura's `Manager`). Nothing touches the store until a segment is
 * read or written (lazy start); a read never creates a session; the first write does.
 * Get it by injection (request-scoped) or, without making the caller request-scoped, with the
 * `@Session()` parameter decorator: both hand out the same object for a request.
 */
export class SessionManager implements SegmentHost {
  private cookieId: string | undefined | null = null;
  private state: 'unknown' | 'absent' | 'active' = 'unknown';
  private loading: Promise<void> | undefined;
  private id: string | undefined;
  /** The id whose record is in the store; differs from `id` after `regenerateId()`. */
  private storedId: string | undefined;
  private record: SessionRecord | undefined;
  private changes: SessionChange[] = [];
  private explicitStart = false;
  private sendCookie = false;
  private expireCookie = false;
  private readonly keptFlash = new Set<string>();
  private readonly segments = new Map<string, SessionSegment<object>>();
  private cookieParams: CookieParams;
  private cookieParamsChanged = false;
  private committing: Promise<void> = Promise.resolve();
  private storeKey: { id: string; key: string } | undefined;
  /** The text last read from or written to the store for this session. */
  private storedText: string | undefined;
  /** At least the serialized size of `record`, in bytes. */
  private sizeBound = 0;
  private failure: unknown;

  /** @internal Created per request by the module's HTTP glue. */
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly exchange: HttpExchange,
  ) {
    this.cookieParams = runtime.config.cookie;
  }

  /** The segment called `name`: the same data wherever the same name is used. Touches nothing. */
  newSegment<T extends object = Record<string, unknown>>(name: string): Segment<T> {
    if (typeof name !== 'string') throw new TypeError('Segment name must be a string');
    let segment = this.segments.get(name);
    if (!segment) {
      segment = new SessionSegment(name, this);
      this.segments.set(name, segment);
    }
    return segment as Segment<T>;
  }

  /** Whether the request carried a well-formed session cookie. Makes no store call. */
  isResumable(): boolean {
    return this.readCookieId() !== undefined;
  }

  /** Whether a session is active in this request (resumed or started). */
  isStarted(): boolean {
    return this.state === 'active';
  }

  /** Resumes the request's session, or starts a new one when there is none to resume. */
  async start(): Promise<void> {
    if (await this.resume()) return;
    this.createSession();
    this.explicitStart = true;
  }

  /** Resumes the request's session; `false` when there is none (absent, expired, unknown id). */
  async resume(): Promise<boolean> {
    if (this.state === 'unknown') await (this.loading ??= this.load());
    return this.state === 'active';
  }

  /**
   * Saves this request's changes now (like `session_write_close`), merged onto the latest stored
   * state, and puts the cookie on the response if it has to change. Later changes are saved by
   * a later commit. Called for you before the response goes out, unless you use `@Res()`.
   */
  commit(): Promise<void> {
    // One commit at a time per request: the interceptor and a response hook may both ask.
    const next = this.committing.then(() => this.commitNow());
    this.committing = next.catch(() => undefined);
    return next;
  }

  /**
   * @internal Whether a {@link commit} has something to store or a cookie to send; synchronous,
   * so a response hook can tell without a store call whether it must hold the response.
   */
  needsCommit(): boolean {
    if (this.failure) return false;
    if (this.state !== 'active') return this.expireCookie;
    return this.sendCookie || this.expireCookie || this.hasWork(Date.now());
  }

  private hasWork(now: number): boolean {
    const isNew = this.storedId === undefined;
    return (
      this.changes.length > 0 ||
      (isNew ? this.explicitStart : this.id !== this.storedId) ||
      (!isNew && now - this.record!.lastSeen >= this.runtime.config.touchAfter)
    );
  }

  private async commitNow(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.state !== 'active') return this.flushCookie();
    const now = Date.now();
    if (!this.hasWork(now)) {
      // A new session that nothing was written to is not stored, so its cookie is not sent.
      if (this.storedId === undefined) this.sendCookie = false;
      return this.flushCookie();
    }
    let latest: SessionRecord | undefined;
    try {
      latest = await this.store(now);
    } catch (error) {
      // Remembered, so a second commit in this request fails at once instead of waiting again.
      this.failure = error;
      throw error;
    }
    if (!latest) {
      this.forget();
      this.expireCookie = true;
      return this.flushCookie();
    }
    this.record = latest;
    this.storedId = this.id;
    this.explicitStart = false;
    if (this.cookieParams.maxAge !== undefined) this.sendCookie = true;
    this.flushCookie();
  }

  /**
   * Replays this request's changes onto the latest stored record and writes it; `undefined` when
   * the session is gone from the store meanwhile.
   */
  private async store(now: number): Promise<SessionRecord | undefined> {
    const { store, commits } = this.runtime;
    const isNew = this.storedId === undefined;
    const id = this.id!;
    const lockKey = this.keyOf(this.storedId ?? id);
    const changes = this.changes;
    const committed = changes.length;
    const createdAt = this.record!.createdAt;
    const latest = await commits.run(lockKey, async () => {
      let base: SessionRecord | undefined;
      if (isNew) {
        base = newRecord(createdAt);
      } else {
        const latestText = await store.get(lockKey);
        if (
          latestText === this.storedText &&
          this.changes.length === committed &&
          this.keptFlash.size === 0
        ) {
          // Nobody wrote since this request read it: this request's copy, changes applied, is
          // the merge, and parsing the same text again would only cost time. (Kept flash values
          // are gone from the copy but not from the store, so keepFlash() takes the long way.)
          base = this.record!;
        } else {
          base = this.parse(latestText, lockKey);
          // Gone since this request loaded it (destroyed, regenerated or expired elsewhere): a
          // late commit must not bring it back.
          if (!base || this.isExpired(base, now)) return undefined;
          for (let i = 0; i < committed; i++) applyChange(base, changes[i]!);
        }
      }
      if (isNew) for (let i = 0; i < committed; i++) applyChange(base, changes[i]!);
      base.lastSeen = now;
      const text = serializeRecord(base);
      this.sizeBound = this.assertWithinLimit(text, changes.slice(0, committed));
      await store.set(this.keyOf(id), text, this.ttl(base, now));
      if (id !== this.storedId && !isNew) await store.delete(lockKey);
      this.storedText = text;
      return base;
    });
    // Changes made while the commit was under way stay pending for the next commit.
    this.changes = this.changes.slice(committed);
    if (latest && this.changes.length) {
      for (const change of this.changes) applyChange(latest, change);
      this.sizeBound = Buffer.byteLength(serializeRecord(latest));
    }
    return latest;
  }

  /**
   * Writes that each fit can add up past `maxSize` once merged with a concurrent request's: the
   * merged record is checked too, and this request's changes are dropped if it is too large.
   */
  private assertWithinLimit(text: string, changes: SessionChange[]): number {
    const size = Buffer.byteLength(text);
    const { maxSize } = this.runtime.config;
    if (size <= maxSize) return size;
    const growing = changes.findLast((c) => c.kind === 'set' || c.kind === 'setFlash');
    if (!growing || !('segment' in growing)) return size;
    this.changes = [];
    throw new SessionTooLargeError(growing.segment, size, maxSize);
  }

  /** Empties every segment; the session stays active with the same id and CSRF secret. */
  async clear(): Promise<void> {
    if (await this.resume()) this.change({ kind: 'clearAll' });
  }

  /** Deletes the stored session and expires the cookie. A later write starts a new session. */
  async destroy(): Promise<void> {
    const id = this.state === 'unknown' ? this.readCookieId() : this.storedId;
    if (id !== undefined) {
      const { store, commits } = this.runtime;
      const key = this.keyOf(id);
      await commits.run(key, () => store.delete(key));
    }
    this.forget();
    this.expireCookie = true;
  }

  /**
   * Gives the session a new id, keeping its data (and its absolute-timeout start); the old id
   * stops working. Also regenerates the CSRF secret. Call it on every change of privilege.
   */
  async regenerateId(): Promise<void> {
    if (!(await this.resume())) {
      this.createSession();
      this.explicitStart = true;
    }
    this.id = newSessionId(this.runtime.config.randval);
    this.sendCookie = true;
    if (this.record!.csrf !== undefined) this.regenerateCsrfSecret();
  }

  /** The session's CSRF token. Starts a session (the secret lives in it) when there is none. */
  async getCsrfToken(): Promise<CsrfToken> {
    const record = await this.sessionForWrite();
    if (!decodeCsrfSecret(record.csrf)) this.regenerateCsrfSecret();
    return new CsrfToken(this.runtime.config.randval, {
      current: () => decodeCsrfSecret(this.record?.csrf),
      regenerate: () => this.regenerateCsrfSecret(),
    });
  }

  /**
   * Whether `value` is a valid CSRF token of this request's session. Never starts a session;
   * `false` when there is none, it has no token yet, or `value` is malformed.
   */
  async isCsrfTokenValid(value: unknown): Promise<boolean> {
    if (!(await this.resume()) || !decodeCsrfSecret(this.record!.csrf)) return false;
    return (await this.getCsrfToken()).isValid(value);
  }

  /** The session id, once the session is resumed or started; `undefined` before. */
  getId(): string | undefined {
    return this.state === 'active' ? this.id : undefined;
  }

  /** The session cookie's name. */
  getName(): string {
    return this.runtime.config.cookieName;
  }

  /** This request's session cookie attributes. */
  getCookieParams(): CookieParams {
    return { ...this.cookieParams };
  }

  /**
   * Changes the cookie attributes for this request's response (for example a long `maxAge` for
   * "remember me"); the cookie is sent again with them.
   */
  setCookieParams(params: Partial<CookieParams>): void {
    const merged = { ...this.cookieParams, ...params };
    validateCookieParams(this.getName(), merged, 'setCookieParams');
    this.cookieParams = merged;
    this.cookieParamsChanged = true;
    if (this.state === 'active') this.sendCookie = true;
  }

  /** @internal */
  get consumesFlash(): boolean {
    return this.exchange.method !== 'HEAD' && this.exchange.method !== 'OPTIONS';
  }

  /** @internal */
  async sessionForRead(): Promise<SessionRecord | undefined> {
    return (await this.resume()) ? this.record : undefined;
  }

  /** @internal */
  async sessionForWrite(): Promise<SessionRecord> {
    if (!(await this.resume())) this.createSession();
    return this.record!;
  }

  /** @internal */
  change(change: SessionChange): void {
    if (!this.record) return;
    applyChange(this.record, change);
    if (change.kind === 'consumeFlash' && this.keptFlash.has(change.segment)) return;
    this.changes.push(change);
  }

  /** @internal */
  changeWithinLimit(
    change: SessionChange & { segment: string; key: string; value: unknown },
  ): void {
    const record = this.record!;
    const { maxSize } = this.runtime.config;
    // An upper bound of the serialized size spares serializing the whole session on every write;
    // only a write that may break the limit pays for the exact measure.
    const growth =
      jsonBytes(change.segment) + jsonBytes(change.key) + jsonBytes(change.value) + ENTRY_OVERHEAD;
    if (this.sizeBound + growth <= maxSize) {
      applyChange(record, change);
      this.sizeBound += growth;
      this.changes.push(change);
      return;
    }
    const part = record.segments.get(change.segment)?.[change.kind === 'set' ? 'values' : 'flash'];
    const had = part?.has(change.key) ?? false;
    const previous = part?.get(change.key);
    applyChange(record, change);
    const size = Buffer.byteLength(serializeRecord(record));
    if (size > maxSize) {
      const target = record.segments.get(change.segment)![
        change.kind === 'set' ? 'values' : 'flash'
      ];
      if (had) target.set(change.key, previous);
      else target.delete(change.key);
      throw new SessionTooLargeError(change.segment, size, maxSize);
    }
    this.sizeBound = size;
    this.changes.push(change);
  }

  /** @internal */
  keepFlash(segment: string): void {
    this.keptFlash.add(segment);
    this.changes = this.changes.filter(
      (c) => !(c.kind === 'consumeFlash' && c.segment === segment),
    );
  }

  private async load(): Promise<void> {
    const id = this.readCookieId();
    if (id === undefined) {
      this.state = 'absent';
      return;
    }
    const key = this.keyOf(id);
    let text: unknown;
    try {
      text = await this.runtime.store.get(key);
    } finally {
      this.loading = undefined;
    }
    const record = this.parse(text, key);
    if (!record || this.isExpired(record, Date.now())) {
      this.state = 'absent';
      return;
    }
    this.state = 'active';
    this.id = id;
    this.storedId = id;
    this.record = record;
    this.storedText = text as string;
    this.sizeBound = Buffer.byteLength(this.storedText);
    // Attributes changed before the session was loaded still have to reach the browser.
    if (this.cookieParamsChanged) this.sendCookie = true;
  }

  private parse(text: unknown, key: string): SessionRecord | undefined {
    if (text === undefined) return undefined;
    const record = parseRecord(text);
    if (!record) {
      this.runtime.logger.warn(
        `Corrupt session data under store key ${key}: treated as no session`,
      );
    }
    return record;
  }

  private createSession(): void {
    if (this.exchange.canStartSession === false) throw new SessionUnavailableError();
    this.state = 'active';
    this.id = newSessionId(this.runtime.config.randval);
    this.storedId = undefined;
    this.record = newRecord(Date.now());
    this.storedText = undefined;
    this.sizeBound = Buffer.byteLength(serializeRecord(this.record));
    this.changes = [];
    this.sendCookie = true;
  }

  private forget(): void {
    this.state = 'absent';
    this.id = undefined;
    this.storedId = undefined;
    this.record = undefined;
    this.storedText = undefined;
    this.changes = [];
    this.explicitStart = false;
    this.sendCookie = false;
    this.keptFlash.clear();
  }

  private regenerateCsrfSecret(): void {
    const secret = newCsrfSecret(this.runtime.config.randval).toString('base64url');
    this.change({ kind: 'csrf', secret });
  }

  private isExpired(record: SessionRecord, now: number): boolean {
    const { idleTimeout, absoluteTimeout } = this.runtime.config;
    return (
      now - record.lastSeen >= idleTimeout ||
      (absoluteTimeout !== undefined && now - record.createdAt >= absoluteTimeout)
    );
  }

  private ttl(record: SessionRecord, now: number): number {
    const { idleTimeout, absoluteTimeout } = this.runtime.config;
    const left =
      absoluteTimeout === undefined
        ? idleTimeout
        : Math.min(idleTimeout, record.createdAt + absoluteTimeout - now);
    return Math.max(1, left);
  }

  /** The store key of `id`, hashed once per id and request. */
  private keyOf(id: string): string {
    if (this.storeKey?.id !== id) {
      this.storeKey = { id, key: storeKeyFor(this.runtime.config.keyPrefix, id) };
    }
    return this.storeKey.key;
  }

  private readCookieId(): string | undefined {
    if (this.cookieId === null) {
      this.cookieId = readSessionId(this.exchange.cookieHeader(), this.runtime.config.cookieName);
    }
    return this.cookieId;
  }

  private flushCookie(): void {
    const name = this.getName();
    const secure =
      this.cookieParams.secure === 'auto' ? this.exchange.isSecure() : this.cookieParams.secure;
    if (this.sendCookie && this.state === 'active') {
      this.exchange.setCookie(name, sessionCookieHeader(name, this.id!, this.cookieParams, secure));
    } else if (this.expireCookie) {
      this.exchange.setCookie(name, expiredCookieHeader(name, this.cookieParams, secure));
    }
    this.sendCookie = false;
    this.expireCookie = false;
  }
}

// What one more key adds to a serialized session besides its JSON-encoded segment name, key and
// value: the segment's `{"values":{},"flash":{}}` frame if it is new, separators and quotes.
const ENTRY_OVERHEAD = 32;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
