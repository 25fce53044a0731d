import { readSessionId } from './cookie.js';
import { decodeCsrfSecret, newCsrfSecret } from './csrf-token.js';
import { ChangeLog, type GrowingChange } from './change-log.js';
import { SessionStoreUnavailableError, SessionUnavailableError } from './errors.js';
import type { HttpExchange } from './http-exchange.js';
import { commitChanges, type CommitResult } from './session-commit.js';
import type { SessionChange } from './session-change.js';
import { SessionCookie } from './session-cookie.js';
import { isExpired, needsTouch, ttlOf } from './session-expiry.js';
import { newSessionId } from './session-id.js';
import { storeKeyFor } from './store-key.js';
import {
  copyRecord,
  newRecord,
  serializeRecord,
  type SessionRecord,
  type UserBinding,
} from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';
import {
  describeKey,
  type MaybePromise,
  type StoreLookup,
  type StoredSession,
} from './session-store.js';
import { withTimeout } from './with-timeout.js';
import { settle } from './store-call.js';
import type { SegmentHost } from './segment.js';
import {
  assertUserId,
  enforceSessionLimit,
  nextSeq,
  needsIndexPush,
  newHandle,
  updateIndex,
  userAgentOf,
  type IndexEntry,
} from './user-index.js';

/**
 * How far ahead of this instance's clock a loaded session's last write may be before it is
 * logged: far above the milliseconds a write of another instance can land between this
 * request's clock read and its load, far below a skew that changes what users see.
 */
const CLOCK_AHEAD_WARNING_MS = 5_000;

/**
 * The state of one request's session behind the public `SessionManager`: lazy loading, the
 * request's copy of the record (copy on write: the stored record is shared and never changed),
 * its change log, and the commit that replays the log onto what is stored by then.
 */
export class SessionCore implements SegmentHost {
  private cookieId: string | undefined | null = null;
  private state: 'unknown' | 'absent' | 'active' = 'unknown';
  /** The load under way; resolves to whether the cookie's session is live. */
  private loading: Promise<boolean> | undefined;
  /** The session id; after `regenerateId()` the new one. */
  private id: string | undefined;
  /** What the store held (or was given) the last time this request read or wrote it. */
  private base: StoredSession | undefined;
  /** The id `base` is stored under; differs from `id` after `regenerateId()`. */
  private baseId: string | undefined;
  /** This request's own copy of the record, once it changed something. */
  private working: SessionRecord | undefined;
  /** The record a commit under way is writing: what the request sees until it lands. */
  private inflight: SessionRecord | undefined;
  private readonly log: ChangeLog;
  readonly cookie: SessionCookie;
  private explicitStart = false;
  /**
   * The cookie named a session that `regenerateId()` moved to a new id: this request is a late
   * sibling of that login, and its browser holds (or is getting) the new cookie. `'load'`: the
   * load found the session moved; `'commit'`: a commit of the session this request had loaded did.
   */
  private movedAway: false | 'load' | 'commit' = false;
  /** The last commit under way, if any: the next one starts when it settles. */
  private committing: Promise<void> | undefined;
  private commitsUnderWay = 0;
  private storeKey: { id: string; key: string } | undefined;
  private failure: unknown;
  /** Milliseconds this request has waited for the store so far: `storeTimeout` bounds the sum. */
  private waited = 0;
  /** The commit of the session's first CSRF secret, while it is under way. */
  private sharingCsrfSecret: Promise<Buffer> | undefined;
  // A touch stores the activity of reads. Those made before a commit in this request are
  // stored by it: no touch is due again until the session is read again (else, with a
  // `touchAfter` of 0, the check a held response makes once its commit is done would find a touch
  // due every time, and commit forever).
  private touchForgone = false;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly exchange: HttpExchange,
  ) {
    this.log = new ChangeLog(runtime.config.maxSize);
    this.cookie = new SessionCookie(runtime, exchange);
  }

  get randval(): SessionRuntime['config']['randval'] {
    return this.runtime.config.randval;
  }

  get consumesFlash(): boolean {
    return this.exchange.method !== 'HEAD' && this.exchange.method !== 'OPTIONS';
  }

  isResumable(): boolean {
    return this.readCookieId() !== undefined;
  }

  isStarted(): boolean {
    return this.state === 'active';
  }

  getId(): string | undefined {
    return this.state === 'active' ? this.id : undefined;
  }

  async start(): Promise<void> {
    if (await this.resume()) return;
    this.createSession();
    this.explicitStart = true;
  }

  /**
   * Resumes the request's session. Synchronous (no promise) when the store answers
   * synchronously, as the built-in memory store does: a read then costs no microtask chain.
   */
  resume(): MaybePromise<boolean> {
    if (this.state === 'unknown') {
      this.loading ??= this.load();
      if (this.loading) return this.loading;
    }
    return this.state === 'active';
  }

  sessionForRead(): MaybePromise<SessionRecord | undefined> {
    this.touchForgone = false;
    const active = this.resume();
    if (active instanceof Promise) return active.then((a) => this.viewIfActive(a));
    return this.viewIfActive(active);
  }

  /** The session for a write, started when there is none; no promise when it is loaded. */
  sessionForWrite(): MaybePromise<SessionRecord> {
    this.touchForgone = false;
    const active = this.resume();
    if (active instanceof Promise) return active.then((a) => this.viewStarted(a));
    return this.viewStarted(active);
  }

  private viewIfActive(active: boolean): SessionRecord | undefined {
    return active ? this.view() : undefined;
  }

  private viewStarted(active: boolean): SessionRecord {
    if (!active) this.createSession();
    return this.view();
  }

  change(change: SessionChange): void {
    if (this.state !== 'active') return;
    this.log.record(this.writable(), change);
  }

  changeWithinLimit(change: GrowingChange): void {
    if (this.state !== 'active' || this.isNoOp(change)) return;
    this.log.recordWithinLimit(this.writable(), change);
  }

  keepFlash(segment: string): void {
    this.log.keepFlash(segment);
  }

  async clear(): Promise<void> {
    if (!(await this.resume())) return;
    const hasData = [...this.view().segments.values()].some((s) => s.values.size || s.flash.size);
    if (hasData) this.change({ kind: 'clearAll' });
  }

  async destroy(): Promise<void> {
    // With a limit per user, an index entry whose key is empty counts for a minute as a login
    // under way, and would keep a live session of that user out: load, so the entry goes too.
    if (this.state === 'unknown' && this.runtime.config.maxSessionsPerUser !== undefined) {
      await this.resume();
    }
    const id = this.state === 'unknown' ? this.readCookieId() : this.baseId;
    // Only a binding already in the index has an entry to remove; an unloaded session's entry
    // is pruned by a later list of its user, which finds its key empty.
    const user = this.state === 'active' ? this.base?.record.user : undefined;
    if (id !== undefined) {
      const key = this.keyOf(id);
      await this.waitFor((deadline) => settle(this.runtime.store.delete(key), 'delete', deadline));
    }
    if (user !== undefined) {
      await this.waitFor((deadline) =>
        updateIndex(this.runtime, user.id, deadline, (e) => e.delete(user.handle), false),
      );
    }
    const hadCookie = this.readCookieId() !== undefined;
    this.forget();
    // A session that only ever lived in this request has no cookie in the browser to expire,
    // unless a commit already put one on this response: the expiring cookie takes its place.
    this.cookie.expire = hadCookie || this.cookie.carriesId;
  }

  async regenerateId(): Promise<void> {
    // The new id could not reach the browser: its cookie would keep naming the dead old id.
    if (this.exchange.canStartSession === false) throw new SessionUnavailableError();
    if (!(await this.resume())) {
      this.createSession();
      this.explicitStart = true;
    }
    this.id = newSessionId(this.runtime.config.randval);
    this.cookie.send = true;
    if (this.view().csrf !== undefined) this.regenerateCsrfSecret();
    // A secret that a concurrent request gave the session since this one loaded it goes too: a
    // token issued before the login must not be valid after it.
    else if (this.baseId !== undefined) this.log.record(this.writable(), { kind: 'dropCsrf' });
  }

  /**
   * Binds the session (started if there is none) to `userId`. Its entry in the user's index is
   * written by the commit, just before the session: see {@link indexBeforeCommit}.
   *
   * @throws SessionTooLargeError when the binding would grow the session past `maxSize`, like a
   *   growing `set` (the 413 a login gets, rather than a session stored over the limit); the
   *   session is left unbound.
   */
  async bindUser(userId: string): Promise<void> {
    assertUserId(userId);
    const record = await this.sessionForWrite();
    if (record.user?.id === userId) return;
    const user: UserBinding = { id: userId, handle: newHandle(this.runtime), indexUntil: 0 };
    this.log.recordBinding(this.writable(), { kind: 'bindUser', user });
  }

  /** The user the session is bound to; loads the session, never starts one. */
  async getUserId(): Promise<string | undefined> {
    return (await this.sessionForRead())?.user?.id;
  }

  /** The handle of this request's session in `userId`'s list, if it is bound to that user. */
  async handleFor(userId: string): Promise<string | undefined> {
    const user = (await this.sessionForRead())?.user;
    return user?.id === userId ? user.handle : undefined;
  }

  /** The CSRF secret, created (and a session started) when there is none yet. */
  async csrfSecret(): Promise<Buffer> {
    if (this.sharingCsrfSecret) return this.sharingCsrfSecret;
    const record = await this.sessionForWrite();
    if (this.sharingCsrfSecret) return this.sharingCsrfSecret;
    const secret = decodeCsrfSecret(record.csrf);
    if (secret) return secret;
    if (this.baseId === undefined || this.id !== this.baseId) {
      // An id no other request knows yet (a new session, or the new id of `regenerateId()`):
      // nothing can race this secret, and it is stored with the rest of the request's changes.
      this.regenerateCsrfSecret();
      return decodeCsrfSecret(this.view().csrf)!;
    }
    this.sharingCsrfSecret = this.shareNewCsrfSecret().finally(() => {
      this.sharingCsrfSecret = undefined;
    });
    return this.sharingCsrfSecret;
  }

  /**
   * Gives a stored session its first CSRF secret, committed at once rather than with the
   * response: two requests of one session (two tabs opening a form) may each make a secret, and
   * the token each hands out must stay valid. The secret is stored only if the session still has
   * none; a request that finds one stored meanwhile takes it, and its token is of that secret.
   */
  private async shareNewCsrfSecret(): Promise<Buffer> {
    const secret = newCsrfSecret(this.runtime.config.randval).toString('base64url');
    this.log.recordCsrf(this.writable(), { kind: 'csrf', secret, ifAbsent: true });
    await this.commit();
    if (this.state !== 'active') {
      // Destroyed or moved away meanwhile: this request goes on as one that loaded it after
      // that, in a new session whose id no other request knows.
      await this.sessionForWrite();
      this.regenerateCsrfSecret();
    }
    return decodeCsrfSecret(this.view().csrf)!;
  }

  /** The current CSRF secret, if the session has one; never loads or starts a session. */
  currentCsrfSecret(): Buffer | undefined {
    return this.state === 'active' ? decodeCsrfSecret(this.view().csrf) : undefined;
  }

  /**
   * Gives the session a new CSRF secret. Never refused for `maxSize`: forms depend on a token, so
   * a nearly full session may go over the limit by the secret's size.
   */
  regenerateCsrfSecret(): void {
    if (this.state !== 'active') return;
    const secret = newCsrfSecret(this.runtime.config.randval).toString('base64url');
    this.log.recordCsrf(this.writable(), { kind: 'csrf', secret });
  }

  /** Notes new cookie attributes; the cookie goes out again with them once there is a session. */
  cookieParamsChanged(): void {
    if (this.state === 'active') this.cookie.send = true;
  }

  /**
   * Whether a {@link commit} has something to store or a cookie to send; synchronous, so a
   * response hook can tell without a store call whether it must hold the response.
   */
  needsCommit(): boolean {
    if (this.failure) return false;
    if (this.state !== 'active') return this.cookie.expire;
    return this.cookie.send || this.cookie.expire || this.hasWork(Date.now());
  }

  /** Sets the cache headers of a response whose handler used the session but commits nothing. */
  beforeResponse(): void {
    if (this.state !== 'unknown' && !this.failure) this.cookie.beforeResponse();
  }

  commit(): Promise<void> {
    // One commit at a time per request: a handler's own commit() and the response hook may both ask.
    const next = (this.committing ?? Promise.resolve()).then(() => this.commitNow());
    this.track(next);
    return next;
  }

  /**
   * The response hooks' commit: at once, and synchronously on a synchronous store (the memory
   * store), so the response goes out without waiting for a promise; `undefined` when it is done.
   * Throws a failure synchronously too. Queues behind a commit still under way.
   */
  commitForResponse(): Promise<void> | undefined {
    if (this.commitsUnderWay > 0) return this.commit();
    const done = this.commitNow();
    if (!(done instanceof Promise)) return undefined;
    this.track(done);
    return done;
  }

  private track(commit: Promise<void>): void {
    this.commitsUnderWay++;
    this.committing = commit.then(
      () => {
        this.commitsUnderWay--;
      },
      () => {
        this.commitsUnderWay--;
      },
    );
  }

  private hasWork(now: number): boolean {
    if (this.baseId === undefined) return this.explicitStart || this.log.length > 0;
    return (
      this.log.length > 0 ||
      this.id !== this.baseId ||
      (!this.touchForgone && needsTouch(this.runtime.config, this.base!.record, now))
    );
  }

  /**
   * The reads made so far are not activity: no touch is stored for them. For a request refused
   * before its handler ran (a forged one must not keep the session alive, nor re-send its
   * cookie); what reads or writes the session after this is stored as usual.
   */
  forgoTouch(): void {
    this.touchForgone = true;
  }

  private commitNow(): MaybePromise<void> {
    if (this.failure) throw this.failure;
    if (this.state !== 'active') return this.cookie.flush(undefined);
    if (
      this.movedAway &&
      this.baseId === undefined &&
      !this.explicitStart &&
      (this.movedAway === 'commit' || !this.navigates())
    ) {
      // A write that only started a session here, in a request sent while the login was under
      // way: its cookie would replace the new one of the login, and sign the user out. Dropped,
      // as the writes of a sibling that loaded the session before the move are. A page the
      // browser navigates to after the move is no such sibling (the login is the navigation):
      // the login's response never reached it, and it gets a new session, as `start()` and
      // `regenerateId()` (a login tried again) do. One that loaded the session before the move
      // ran alongside the login, whose response its browser may well get.
      this.forget();
      return this.cookie.flush(undefined);
    }
    const now = Date.now();
    if (!this.hasWork(now)) {
      // A new session that nothing was written to is not stored, so its cookie is not sent.
      if (this.baseId === undefined) this.cookie.send = false;
      return this.cookie.flush(this.id);
    }
    const indexing = this.indexBeforeCommit(now);
    // Nothing was waited for since `now`: the store call starts at it (one clock read fewer).
    if (indexing === undefined) return this.write(now, undefined, now);
    return indexing.then(
      (newlyBound) => this.write(now, newlyBound, Date.now()),
      (error: unknown) => {
        this.failure = error;
        throw error;
      },
    );
  }

  /**
   * Stores the session: synchronously on a synchronous store, else within what is left of
   * `storeTimeout`, counted from `started`.
   */
  private write(
    now: number,
    newlyBound: UserBinding | undefined,
    started: number,
  ): MaybePromise<void> {
    const keepsFlash = this.log.keepsFlash;
    const changes = this.log.take();
    const mine = this.working;
    this.inflight = this.view();
    this.working = undefined;
    const fail = (error: unknown): never => {
      this.inflight = undefined;
      // Remembered, so a second commit in this request fails at once instead of waiting again.
      this.failure = error;
      throw error;
    };
    let result: MaybePromise<CommitResult>;
    try {
      result = commitChanges({
        runtime: this.runtime,
        now,
        deadline: this.deadlineFrom(started),
        base: this.base,
        baseKey: this.baseId === undefined ? undefined : this.keyOf(this.baseId),
        key: this.keyOf(this.id!),
        moving: this.baseId !== undefined && this.id !== this.baseId,
        // The request's copy is the merge when nobody wrote since it was read; kept flash values
        // are gone from it but not from the store, so keepFlash() replays onto the stored record.
        candidate: keepsFlash ? undefined : mine,
        fresh: this.baseId === undefined ? this.inflight : undefined,
        changes,
        log: this.log,
      });
    } catch (error) {
      return fail(error);
    }
    if (!(result instanceof Promise)) {
      this.inflight = undefined;
      return this.committed(result, newlyBound);
    }
    return result.then(
      (outcome) => {
        this.countWait(started);
        this.inflight = undefined;
        return this.committed(outcome, newlyBound);
      },
      (error: unknown) => {
        this.countWait(started);
        return fail(error);
      },
    );
  }

  /** Takes the commit's outcome in: the new stored state, or a session gone meanwhile. */
  private committed(result: CommitResult, newlyBound: UserBinding | undefined): MaybePromise<void> {
    if (result.outcome !== 'stored') {
      this.forget();
      // Like a load that finds the session moved: this request must not start another one.
      if (result.outcome === 'moved') this.movedAway = 'commit';
      // The old id of a regenerated session: a sibling of the request that moved it, finishing
      // late. Its browser already holds the new cookie, which an expiring one would delete.
      this.cookie.expire = result.outcome === 'gone';
      return this.cookie.flush(undefined);
    }
    this.base = result.stored;
    this.baseId = this.id;
    this.explicitStart = false;
    this.touchForgone = true;
    // Changes made while the commit was under way apply to the new state for the next commit.
    if (this.working) {
      this.working = copyRecord(result.stored.record);
      this.log.replayOnto(this.working);
    }
    this.log.sizeBound = Math.max(this.log.sizeBound, result.stored.size);
    if (newlyBound === undefined) return this.sendCookie();
    const { id, handle } = newlyBound;
    return this.waitFor((deadline) => enforceSessionLimit(this.runtime, id, handle, deadline)).then(
      () => this.sendCookie(),
      (error: unknown) => {
        // The session is stored, a regenerated one under its new id only: failing the request
        // now would keep that id from the browser and sign the user out. The user's next login
        // applies the limit again.
        if (!(error instanceof SessionStoreUnavailableError)) throw error;
        const retried =
          this.runtime.config.maxSessionsPerUser === undefined
            ? 'their next login prunes them again'
            : 'maxSessionsPerUser applies again at their next login';
        this.runtime.logger.warn(
          `A login could not check the user's other sessions (${error.message}): ${retried}`,
        );
        this.sendCookie();
      },
    );
  }

  private sendCookie(): void {
    if (this.cookie.persistent) this.cookie.send = true;
    this.cookie.flush(this.id);
  }

  /**
   * Keeps the user's index ahead of the session, before the commit stores it: a new binding adds
   * the session's entry, a `regenerateId()` points it at the new key (keeping the old one until
   * the move is done), and a session about to outlive its index pushes the index's expiry. A
   * binding that changed leaves the old user's index. Any other commit makes no index call, and
   * gets `undefined` synchronously: an unbound session's commit pays not even a promise for it.
   * Resolves to the binding this commit adds, if any.
   */
  private indexBeforeCommit(now: number): Promise<UserBinding | undefined> | undefined {
    const record = this.view();
    const user = record.user;
    const before = this.base?.record.user;
    if (user === undefined && before === undefined) return undefined;
    if (
      user !== undefined &&
      user.handle === before?.handle &&
      this.id === this.baseId &&
      !needsIndexPush(user.indexUntil, now + ttlOf(this.runtime.config, record, now))
    ) {
      return undefined;
    }
    return this.updateUserIndex(now, record, user, before);
  }

  private async updateUserIndex(
    now: number,
    record: SessionRecord,
    user: UserBinding | undefined,
    before: UserBinding | undefined,
  ): Promise<UserBinding | undefined> {
    const { runtime } = this;
    if (before !== undefined && before.handle !== user?.handle) {
      await this.waitFor((deadline) =>
        updateIndex(runtime, before.id, deadline, (e) => e.delete(before.handle), false),
      );
    }
    if (user === undefined) return undefined;
    const added = user.handle !== before?.handle;
    const moving = this.baseId !== undefined && this.id !== this.baseId;
    const previous = moving ? this.keyOf(this.baseId!) : undefined;
    const key = this.keyOf(this.id!);
    const agent = userAgentOf(this.exchange.requestHeader?.('user-agent'));
    const until = await this.waitFor((deadline) =>
      updateIndex(
        runtime,
        user.id,
        deadline,
        (entries) => {
          const entry: IndexEntry = { key, at: now, createdAt: record.createdAt };
          if (previous !== undefined) entry.previous = previous;
          const racing =
            previous === undefined
              ? undefined
              : racingKeys(entries.get(user.handle), previous, key);
          if (racing !== undefined) entry.racing = racing;
          const seq = added ? nextSeq(entries) : entries.get(user.handle)?.seq;
          if (seq !== undefined) entry.seq = seq;
          const userAgent = added ? agent : (entries.get(user.handle)?.userAgent ?? agent);
          if (userAgent !== undefined) entry.userAgent = userAgent;
          entries.set(user.handle, entry);
          return true;
        },
        true,
      ),
    );
    this.log.record(this.writable(), { kind: 'userIndexed', handle: user.handle, until });
    return added ? user : undefined;
  }

  /**
   * Loads the cookie's session; a promise (of whether it is live) only when the store answers
   * asynchronously.
   */
  private load(): Promise<boolean> | undefined {
    const id = this.readCookieId();
    if (id === undefined) {
      this.state = 'absent';
      return undefined;
    }
    const key = this.keyOf(id);
    const started = Date.now();
    const found = this.runtime.store.load(key);
    if (!(found instanceof Promise)) {
      // A synchronous store answered at `started`: its answer is checked against that time.
      this.adopt(id, key, found, started);
      return undefined;
    }
    // One reaction for the whole wait: every request that reads a remote store takes this path,
    // and each `finally` in a chain costs two more promises and two more microtasks.
    return withTimeout('load', found, this.deadlineFrom(started) - started).then(
      (lookup) => {
        this.loaded(started);
        this.adopt(id, key, lookup, Date.now());
        return this.state === 'active';
      },
      (error: unknown) => {
        this.loaded(started);
        throw error;
      },
    );
  }

  /** The load that started at `started` is over: a later `resume()` may load again. */
  private loaded(started: number): void {
    this.loading = undefined;
    this.countWait(started);
  }

  /** Makes what the store holds for the cookie's `id` this request's session, if it is live at `now`. */
  private adopt(id: string, key: string, found: StoreLookup, now: number): void {
    if (found === 'moved') this.movedAway = 'load';
    if (found === 'corrupt') {
      this.runtime.logger.warn(
        `Corrupt session data under ${describeKey(this.runtime.store, key)}: treated as no session`,
      );
    }
    if (typeof found === 'object' && found.record.revoked) {
      // Signed out from elsewhere: the browser's cookie goes too.
      this.state = 'absent';
      this.cookie.expire = true;
      return;
    }
    if (typeof found !== 'object' || isExpired(this.runtime.config, found.record, now)) {
      this.state = 'absent';
      return;
    }
    const ahead = found.record.lastSeen - now;
    if (ahead > CLOCK_AHEAD_WARNING_MS) {
      // Timeouts, the post-login window and the user index compare times that one instance
      // wrote with another's clock: a skew this large shifts them by as much, silently.
      this.runtime.logger.warn(
        `A session was last written ${Math.round(ahead / 1000)} s ahead of this instance's clock: the clocks of the app's instances disagree, which shortens idle timeouts by as much on the instance ahead. Synchronize them (NTP)`,
      );
    }
    this.state = 'active';
    this.id = id;
    this.baseId = id;
    this.base = found;
    this.log.startAt(found.size);
    // Attributes changed before the session was loaded still have to reach the browser.
    if (this.cookie.paramsChanged) this.cookie.send = true;
  }

  private createSession(): void {
    if (this.exchange.canStartSession === false) throw new SessionUnavailableError();
    this.state = 'active';
    this.id = newSessionId(this.runtime.config.randval);
    this.base = undefined;
    this.baseId = undefined;
    this.working = newRecord(Date.now());
    this.log.startAt(Buffer.byteLength(serializeRecord(this.working)));
    this.cookie.send = true;
  }

  /**
   * Whether the browser says this request loads a page in a window the user looks at (Fetch
   * Metadata): a navigation whose destination is the document, and not a prefetch or prerender.
   * A frame, a prefetch (`Sec-Purpose: prefetch`, which Speculation Rules and `<link
   * rel=prefetch>` send) or a prerender loads in the background of a page that may well have
   * the login's response already.
   */
  private navigates(): boolean {
    const { exchange } = this;
    if (exchange.requestHeader?.('sec-fetch-mode') !== 'navigate') return false;
    const dest = exchange.requestHeader('sec-fetch-dest');
    if (dest !== undefined && dest !== 'document') return false;
    return !exchange.requestHeader('sec-purpose')?.toLowerCase().includes('prefetch');
  }

  private forget(): void {
    this.state = 'absent';
    this.id = undefined;
    this.base = undefined;
    this.baseId = undefined;
    this.working = undefined;
    this.log.reset(0);
    this.explicitStart = false;
    this.cookie.send = false;
  }

  private async waitFor<T>(work: (deadline: number) => MaybePromise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work(this.deadlineFrom(started));
    } finally {
      this.countWait(started);
    }
  }

  /** When the request's wait for the store runs out, for store work starting at `started`. */
  private deadlineFrom(started: number): number {
    return started + Math.max(1, this.runtime.config.storeTimeout - this.waited);
  }

  private countWait(started: number): void {
    this.waited += Date.now() - started;
  }

  /** The session as this request sees it. */
  private view(): SessionRecord {
    return this.working ?? this.inflight ?? this.base!.record;
  }

  private writable(): SessionRecord {
    return (this.working ??= copyRecord(this.inflight ?? this.base!.record));
  }

  /** Setting a value equal to the one there changes nothing, and so writes nothing. */
  private isNoOp(change: GrowingChange): boolean {
    const part = this.view().segments.get(change.segment)?.[
      change.kind === 'set' ? 'values' : 'flash'
    ];
    return (
      part !== undefined && part.has(change.key) && jsonEqual(part.get(change.key), change.value)
    );
  }

  /** The store key of `id`, built once per request: the load and the commit both ask for it. */
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
}

/** Equality of two JSON values (both were checked to be JSON when they were set). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every(
    (k) =>
      Object.hasOwn(b, k) &&
      jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/**
 * The keys another `regenerateId()` of the same session, from the same `previous` key, put in
 * its index entry (`existing`) before this one replaces it with `key`: either move may be the one
 * that lands, so the entry keeps naming both. `undefined` when there is no such race.
 */
function racingKeys(
  existing: IndexEntry | undefined,
  previous: string,
  key: string,
): string[] | undefined {
  if (existing?.previous !== previous || existing.key === previous || existing.key === key) {
    return undefined;
  }
  return [...(existing.racing ?? []), existing.key];
}
