import { jest } from '@jest/globals';
import { SessionStoreUnavailableError, SessionTooLargeError } from '../../src/core/errors.js';
import { coreOf, newSessionManager } from '../../src/core/session-manager.js';
import { resolveSessionConfig, type SessionModuleOptions } from '../../src/core/session-options.js';
import { serializeRecord, type SessionRecord } from '../../src/core/session-record.js';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import type {
  CommitOutcome,
  MaybePromise,
  MoveOutcome,
  SessionStore,
  StoreLookup,
} from '../../src/core/session-store.js';
import { MemorySessionStore } from '../../src/storage/memory-session-store.js';
import { cookieAttributes, forgedSessionId, storeKeyOf } from '../support/stores/core-store.js';
import { fakeClock } from '../support/timing/fake-clock.js';
import { FakeExchange, modelOnMemory } from '../support/model/hardening-manager.js';

const SEGMENT = 'App\\Cart';

/** The synchronous memory store, counting the calls the session model makes and failing on demand. */
class CountingStore implements SessionStore {
  readonly atomic = true;
  readonly inner = new MemorySessionStore();
  readonly calls = { load: 0, commit: 0, move: 0, delete: 0 };
  /** Thrown by the next commit instead of storing. */
  failNextCommit: Error | undefined;

  total(): number {
    return this.calls.load + this.calls.commit + this.calls.move + this.calls.delete;
  }

  reset(): void {
    this.calls.load = this.calls.commit = this.calls.move = this.calls.delete = 0;
  }

  load(key: string): MaybePromise<StoreLookup> {
    this.calls.load++;
    return this.inner.load(key);
  }

  commit(
    key: string,
    expected: unknown,
    record: SessionRecord,
    ttl: number,
    size: number,
  ): CommitOutcome {
    this.calls.commit++;
    const failure = this.failNextCommit;
    if (failure) {
      this.failNextCommit = undefined;
      throw failure;
    }
    return this.inner.commit(key, expected, record, ttl, size);
  }

  move(key: string, expected: unknown, ttl: number): MoveOutcome {
    this.calls.move++;
    return this.inner.move(key, expected, ttl);
  }

  delete(key: string): void {
    this.calls.delete++;
    this.inner.delete(key);
  }
}

/** The session model on a CountingStore: `request(cookie)` is one request's manager. */
function modelOnCountingStore(options: SessionModuleOptions = {}) {
  const store = new CountingStore();
  const warnings: string[] = [];
  const runtime = new SessionRuntime(resolveSessionConfig(options), store, {
    warn: (message: string) => void warnings.push(message),
  });
  return {
    store,
    warnings,
    request(id?: string, method = 'GET', headers: Record<string, string> = {}) {
      const exchange = new FakeExchange(
        id === undefined ? undefined : `sid=${id}`,
        method,
        headers,
      );
      const manager = newSessionManager(runtime, exchange);
      return { manager, exchange, core: coreOf(manager), segment: manager.newSegment(SEGMENT) };
    },
  };
}

type Model = ReturnType<typeof modelOnCountingStore>;

/** The id a Set-Cookie header hands out; `''` for the expiring cookie. */
function idOf(exchange: FakeExchange): string | undefined {
  const header = exchange.cookies.get('sid');
  return header === undefined ? undefined : header.slice('sid='.length, header.indexOf(';'));
}

/** A stored session holding `values`, made by an earlier request; the store's counts start over. */
async function storedSession(model: Model, values: Record<string, unknown>): Promise<string> {
  const { segment, core, exchange } = model.request();
  for (const [k, v] of Object.entries(values)) await segment.set(k, v);
  expect(core.commitForResponse()).toBeUndefined();
  model.store.reset();
  return idOf(exchange)!;
}

describe('SessionManager.newSegment', () => {
  it('hands out one segment per name, whichever name came first, and clear() reaches them all', async () => {
    const model = modelOnCountingStore();
    const { manager, segment } = model.request();
    const other = manager.newSegment('App\\Other');
    const third = manager.newSegment('App\\Third');
    expect(manager.newSegment(SEGMENT)).toBe(segment);
    expect(manager.newSegment('App\\Other')).toBe(other);
    expect(manager.newSegment('App\\Third')).toBe(third);
    expect(other).not.toBe(third);
    for (const each of [segment, other, third]) await each.setFlashNow('note', 'now');
    await manager.clear();
    for (const each of [segment, other, third]) expect(await each.getFlash('note')).toBeUndefined();
  });
});

describe('SessionCore: lazy loading', () => {
  it('makes no store call until a segment is read', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { manager, segment } = model.request(id);
    expect(manager.isResumable()).toBe(true);
    expect(manager.isStarted()).toBe(false);
    expect(manager.getId()).toBeUndefined();
    manager.getName();
    manager.getCookieParams();
    manager.newSegment('App\\Other');
    expect(model.store.total()).toBe(0);
    expect(await segment.get('a')).toBe(1);
    expect(model.store.calls.load).toBe(1);
    expect(manager.getId()).toBe(id);
  });

  it('loads the session once per request however many reads', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1, b: 2 });
    const { manager, segment } = model.request(id);
    await Promise.all([segment.get('a'), segment.get('b'), manager.resume()]);
    await segment.getAll();
    expect(model.store.calls.load).toBe(1);
  });

  it('answers a read from a synchronous store without waiting for it', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { core } = model.request(id);
    expect(core.resume()).toBe(true);
    expect(core.sessionForRead()).not.toBeInstanceOf(Promise);
  });

  it('loads again on the next read after a load that failed', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { store } = model;
    const syncLoad = store.load.bind(store);
    let failures = 1;
    // An asynchronous store whose first answer is an error, as a Redis that drops a connection.
    store.load = (key) =>
      failures-- > 0
        ? Promise.reject(new Error('connection lost'))
        : Promise.resolve(syncLoad(key));
    const { manager, segment } = model.request(id);
    await expect(segment.get('a')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(await segment.get('a')).toBe(1);
    expect(manager.getId()).toBe(id);
  });

  it('makes no store call for a request without a session cookie', async () => {
    const model = modelOnCountingStore();
    const { manager, segment } = model.request();
    expect(manager.isResumable()).toBe(false);
    expect(await segment.get('a', 'fallback')).toBe('fallback');
    expect(await manager.resume()).toBe(false);
    expect(model.store.total()).toBe(0);
  });
});

describe('SessionCore: reads never create a session', () => {
  it('stores nothing and sends no cookie after a request that only read', async () => {
    const model = modelOnCountingStore();
    const { manager, segment, core, exchange } = model.request();
    await segment.get('a');
    await segment.getAll();
    await segment.getFlash('notice');
    await segment.hasFlash('notice');
    await segment.remove('a');
    await segment.clear();
    await segment.clearFlash();
    await manager.clear();
    expect(await manager.getUserId()).toBeUndefined();
    expect(await manager.isCsrfTokenValid('anything')).toBe(false);
    expect(manager.isStarted()).toBe(false);
    expect(core.needsCommit()).toBe(false);
    expect(core.commitForResponse()).toBeUndefined();
    expect(exchange.cookies.size).toBe(0);
    expect(model.store.calls.commit).toBe(0);
    expect(model.store.inner.size).toBe(0);
  });

  it('starts no session for a cookie naming an unknown id', async () => {
    const model = modelOnCountingStore();
    const { manager, segment, core, exchange } = model.request(forgedSessionId('unknown'));
    expect(await segment.get('a')).toBeUndefined();
    expect(manager.isStarted()).toBe(false);
    expect(core.commitForResponse()).toBeUndefined();
    expect(exchange.cookies.size).toBe(0);
    expect(model.store.inner.size).toBe(0);
  });

  it('creates the session on the first write, contrary to a read', async () => {
    const model = modelOnCountingStore();
    const { segment, core, exchange } = model.request();
    await segment.set('a', 1);
    expect(core.needsCommit()).toBe(true);
    core.commitForResponse();
    expect(idOf(exchange)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(model.store.inner.size).toBe(1);
  });
});

describe('SessionCore: writes that change nothing', () => {
  it('records nothing for a value set equal to the stored one', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: { list: [1, 2], n: null } });
    const { segment, core, exchange } = model.request(id);
    await segment.set('a', { n: null, list: [1, 2] });
    expect(core.needsCommit()).toBe(false);
    expect(core.commitForResponse()).toBeUndefined();
    expect(model.store.calls.commit).toBe(0);
    expect(exchange.cookies.size).toBe(0);
  });

  it('records a value that differs only deep inside', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: { list: [1, 2] } });
    const { segment, core } = model.request(id);
    await segment.set('a', { list: [1, 3] });
    expect(core.needsCommit()).toBe(true);
    core.commitForResponse();
    expect(model.store.calls.commit).toBe(1);
    expect(await model.request(id).segment.get('a')).toEqual({ list: [1, 3] });
  });

  it('records nothing for removing a missing key or clearing an empty session', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { manager, segment, core } = model.request(id);
    await segment.remove('missing');
    await manager.newSegment('App\\Empty').clear();
    await segment.clearFlash();
    expect(core.needsCommit()).toBe(false);
    core.commitForResponse();
    expect(model.store.calls.commit).toBe(0);
  });
});

describe('SessionCore: commit for the response', () => {
  it('completes on a synchronous store without a promise: stored and cookie set on return', async () => {
    const model = modelOnCountingStore();
    const { segment, core, exchange } = model.request();
    await segment.set('a', 1);
    expect(core.commitForResponse()).toBeUndefined();
    const id = idOf(exchange)!;
    expect(model.store.inner.load(storeKeyOf(id))).toMatchObject({
      record: { segments: expect.any(Map) },
    });
    expect(await model.request(id).segment.get('a')).toBe(1);
  });

  it('hands back a promise on a store that answers asynchronously', async () => {
    const model = modelOnMemory();
    const { manager, exchange } = model.request();
    await manager.newSegment(SEGMENT).set('a', 1);
    const pending = coreOf(manager).commitForResponse();
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(exchange.cookies.has('sid')).toBe(true);
  });

  it('keeps changes made after a commit for the next commit', async () => {
    const model = modelOnCountingStore();
    const { segment, core, exchange } = model.request();
    await segment.set('a', 1);
    core.commitForResponse();
    await segment.set('b', 2);
    expect(core.needsCommit()).toBe(true);
    core.commitForResponse();
    expect(await model.request(idOf(exchange)).segment.getAll()).toEqual({ a: 1, b: 2 });
  });
});

describe('SessionCore: a failed commit', () => {
  it('is remembered: a second commit fails at once with the same error, without a store call', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { manager, segment, core, exchange } = model.request(id);
    await segment.set('a', 2);
    const failure = new SessionStoreUnavailableError('commit', new Error('backend down'));
    model.store.failNextCommit = failure;
    expect(() => core.commitForResponse()).toThrow(failure);
    expect(model.store.calls.commit).toBe(1);
    await expect(manager.commit()).rejects.toBe(failure);
    expect(() => core.commitForResponse()).toThrow(failure);
    expect(model.store.calls.commit).toBe(1);
    expect(core.needsCommit()).toBe(false);
    expect(exchange.cookies.size).toBe(0);
    expect(await model.request(id).segment.get('a')).toBe(1);
  });
});

describe('SessionCore: regenerateId()', () => {
  it('moves the session to a new id and leaves a moved marker under the old one', async () => {
    const model = modelOnCountingStore();
    const oldId = await storedSession(model, { a: 1 });
    const { manager, core, exchange } = model.request(oldId);
    await manager.regenerateId();
    core.commitForResponse();
    const newId = idOf(exchange)!;
    expect(newId).not.toBe(oldId);
    expect(model.store.inner.load(storeKeyOf(oldId))).toBe('moved');
    expect(await model.request(newId).segment.get('a')).toBe(1);
    expect(await model.request(oldId).manager.resume()).toBe(false);
  });

  it('gives a late commit of the old id no expiring cookie: the browser holds the new one', async () => {
    const model = modelOnCountingStore();
    const oldId = await storedSession(model, { a: 1 });
    const late = model.request(oldId);
    expect(await late.segment.get('a')).toBe(1);
    const mover = model.request(oldId);
    await mover.manager.regenerateId();
    mover.core.commitForResponse();
    await late.segment.set('b', 2);
    late.core.commitForResponse();
    expect(late.exchange.cookies.size).toBe(0);
    expect(model.store.inner.load(storeKeyOf(oldId))).toBe('moved');
  });

  it('drops the write of an old-id request that loads after the move, and sends no cookie', async () => {
    const model = modelOnCountingStore();
    const oldId = await storedSession(model, { a: 1 });
    const mover = model.request(oldId);
    await mover.manager.regenerateId();
    mover.core.commitForResponse();
    const late = model.request(oldId);
    await late.segment.set('b', 2);
    await late.manager.getCsrfToken();
    late.core.commitForResponse();
    expect(late.exchange.cookies.size).toBe(0);
    expect(model.store.inner.load(storeKeyOf(oldId))).toBe('moved');
    const retry = model.request(oldId);
    await retry.manager.regenerateId();
    retry.core.commitForResponse();
    expect(idOf(retry.exchange)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(idOf(retry.exchange)).not.toBe(idOf(mover.exchange));
  });

  it('gives a page load with the old id a new session: the browser never got the login response', async () => {
    const model = modelOnCountingStore();
    const oldId = await storedSession(model, { a: 1 });
    const mover = model.request(oldId);
    await mover.manager.regenerateId();
    mover.core.commitForResponse();
    const page = model.request(oldId, 'GET', { 'sec-fetch-mode': 'navigate' });
    const token = (await page.manager.getCsrfToken()).getValue();
    page.core.commitForResponse();
    const fresh = idOf(page.exchange)!;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([oldId, idOf(mover.exchange)]).not.toContain(fresh);
    expect(await model.request(fresh).manager.isCsrfTokenValid(token)).toBe(true);
  });

  it.each([
    ['a frame', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }],
    [
      'a prefetch',
      { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-purpose': 'prefetch' },
    ],
    [
      'a prerender',
      {
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        'sec-purpose': 'prefetch;prerender',
      },
    ],
  ])(
    'sends no cookie for %s with the old id after a login moved it: its page may have the login',
    async (_, headers) => {
      const model = modelOnCountingStore();
      const oldId = await storedSession(model, { a: 1 });
      const mover = model.request(oldId);
      await mover.manager.regenerateId();
      mover.core.commitForResponse();
      const background = model.request(oldId, 'GET', headers);
      await background.manager.getCsrfToken();
      background.core.commitForResponse();
      expect(background.exchange.cookies.size).toBe(0);
    },
  );

  it('renews a CSRF secret another request gave the session after this one loaded it', async () => {
    const model = modelOnCountingStore();
    const oldId = await storedSession(model, { a: 1 });
    const login = model.request(oldId);
    expect(await login.segment.get('a')).toBe(1);
    const form = model.request(oldId);
    const token = (await form.manager.getCsrfToken()).getValue();
    form.core.commitForResponse();
    await login.manager.regenerateId();
    login.core.commitForResponse();
    const after = model.request(idOf(login.exchange));
    expect(await after.segment.get('a')).toBe(1);
    expect(await after.manager.isCsrfTokenValid(token)).toBe(false);
  });

  it('gives a late commit of a destroyed session an expiring cookie', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const late = model.request(id);
    expect(await late.segment.get('a')).toBe(1);
    const destroyer = model.request(id);
    await destroyer.manager.destroy();
    destroyer.core.commitForResponse();
    await late.segment.set('b', 2);
    late.core.commitForResponse();
    expect(idOf(late.exchange)).toBe('');
    expect(cookieAttributes(late.exchange.cookies.get('sid')!).get('max-age')).toBe('0');
    expect(model.store.inner.load(storeKeyOf(id))).toBeUndefined();
  });
});

describe('SessionCore: the first CSRF secret of a stored session', () => {
  it('keeps the tokens of two requests that both gave the session its first secret valid', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const tabs = [model.request(id), model.request(id)];
    for (const tab of tabs) expect(await tab.segment.get('a')).toBe(1);
    const tokens: string[] = [];
    for (const tab of tabs) tokens.push((await tab.manager.getCsrfToken()).getValue());
    for (const tab of tabs) tab.core.commitForResponse();
    const next = model.request(id);
    for (const token of tokens) expect(await next.manager.isCsrfTokenValid(token)).toBe(true);
    expect(await next.segment.get('a')).toBe(1);
  });

  it('stores the secret before getCsrfToken() returns, and nothing more with the response', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { manager, core } = model.request(id);
    const token = (await manager.getCsrfToken()).getValue();
    expect(model.store.calls).toEqual({ load: 1, commit: 1, move: 0, delete: 0 });
    expect(core.needsCommit()).toBe(false);
    expect(await model.request(id).manager.isCsrfTokenValid(token)).toBe(true);
  });

  it('gives two getCsrfToken() calls of one request the secret that was stored', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const mine = model.request(id);
    const other = model.request(id);
    expect(await mine.segment.get('a')).toBe(1);
    expect(await other.segment.get('a')).toBe(1);
    const first = (await other.manager.getCsrfToken()).getValue();
    const both = await Promise.all([mine.manager.getCsrfToken(), mine.manager.getCsrfToken()]);
    const check = model.request(id).manager;
    expect(await check.isCsrfTokenValid(first)).toBe(true);
    for (const token of both) expect(await check.isCsrfTokenValid(token.getValue())).toBe(true);
  });

  it("stores a new session's first secret with the response, in one commit", async () => {
    const model = modelOnCountingStore();
    const { manager, core, exchange } = model.request();
    const token = (await manager.getCsrfToken()).getValue();
    expect(model.store.calls.commit).toBe(0);
    core.commitForResponse();
    expect(model.store.calls.commit).toBe(1);
    expect(await model.request(idOf(exchange)).manager.isCsrfTokenValid(token)).toBe(true);
  });

  it('starts a new session for a token when the session was destroyed meanwhile', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const form = model.request(id);
    expect(await form.segment.get('a')).toBe(1);
    const logout = model.request(id);
    await logout.manager.destroy();
    logout.core.commitForResponse();
    const token = (await form.manager.getCsrfToken()).getValue();
    form.core.commitForResponse();
    const fresh = idOf(form.exchange)!;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(id);
    expect(await model.request(fresh).manager.isCsrfTokenValid(token)).toBe(true);
    expect(model.store.inner.load(storeKeyOf(id))).toBeUndefined();
  });

  it('sends no cookie for a page load that loaded the session before a login moved it', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const page = model.request(id, 'GET', { 'sec-fetch-mode': 'navigate' });
    expect(await page.segment.get('a')).toBe(1);
    const login = model.request(id);
    await login.manager.regenerateId();
    login.core.commitForResponse();
    await page.manager.getCsrfToken();
    page.core.commitForResponse();
    expect(page.exchange.cookies.size).toBe(0);
  });

  it('sends no cookie for a token of a session a login moved meanwhile', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const form = model.request(id);
    expect(await form.segment.get('a')).toBe(1);
    const login = model.request(id);
    await login.manager.regenerateId();
    login.core.commitForResponse();
    await form.manager.getCsrfToken();
    form.core.commitForResponse();
    expect(form.exchange.cookies.size).toBe(0);
    expect(model.store.inner.load(storeKeyOf(id))).toBe('moved');
  });
});

describe('SessionCore: destroy()', () => {
  it('makes no store call and sends no cookie for a request without a session cookie', async () => {
    const model = modelOnCountingStore();
    const { manager, core, exchange } = model.request();
    await manager.destroy();
    expect(core.needsCommit()).toBe(false);
    core.commitForResponse();
    expect(model.store.total()).toBe(0);
    expect(exchange.cookies.size).toBe(0);
  });

  it('stores nothing for a session that only lived in this request', async () => {
    const model = modelOnCountingStore();
    const { manager, segment, core, exchange } = model.request();
    await segment.set('a', 1);
    await manager.destroy();
    core.commitForResponse();
    expect(model.store.total()).toBe(0);
    expect(exchange.cookies.size).toBe(0);
  });

  it("deletes a stored session and expires the browser's cookie", async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const { manager, core, exchange } = model.request(id);
    await manager.destroy();
    core.commitForResponse();
    expect(model.store.calls.delete).toBe(1);
    expect(model.store.calls.load).toBe(0);
    expect(idOf(exchange)).toBe('');
    expect(model.store.inner.load(storeKeyOf(id))).toBeUndefined();
  });
});

describe('SessionCore: persistent cookies', () => {
  it('re-sends the cookie with its Max-Age on every commit that stores, not on a read', async () => {
    const model = modelOnCountingStore({ cookie: { maxAge: 3_600_000 } });
    const id = await storedSession(model, { a: 1 });
    const writer = model.request(id);
    await writer.segment.set('a', 2);
    writer.core.commitForResponse();
    expect(idOf(writer.exchange)).toBe(id);
    expect(cookieAttributes(writer.exchange.cookies.get('sid')!).get('max-age')).toBe('3600');
    const reader = model.request(id);
    await reader.segment.get('a');
    reader.core.commitForResponse();
    expect(reader.exchange.cookies.size).toBe(0);
  });

  it('does not re-send a browser-session cookie on a commit of a known session', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    const writer = model.request(id);
    await writer.segment.set('a', 2);
    writer.core.commitForResponse();
    expect(writer.exchange.cookies.size).toBe(0);
  });
});

describe('SessionCore: a write refused for maxSize', () => {
  it('leaves the session as it was, and the request can still commit its other changes', async () => {
    const model = modelOnCountingStore({ maxSize: 400 });
    const id = await storedSession(model, { a: 1 });
    const { segment, core } = model.request(id);
    await segment.set('b', 2);
    await expect(segment.set('big', 'x'.repeat(500))).rejects.toThrow(SessionTooLargeError);
    expect(await segment.get('big')).toBeUndefined();
    core.commitForResponse();
    expect(await model.request(id).segment.getAll()).toEqual({ a: 1, b: 2 });
  });
});

describe('SessionCore: maxSize with the CSRF secret and the user binding', () => {
  const maxSize = 300;

  /** A stored session filled with 8-character values until the next one would not fit. */
  async function fullSession(model: Model): Promise<string> {
    const { segment, core, exchange } = model.request();
    for (let n = 0; ; n++) {
      try {
        await segment.set(`k${n}`, 'xxxxxxxx');
      } catch {
        break;
      }
    }
    core.commitForResponse();
    model.store.reset();
    return idOf(exchange)!;
  }

  const storedBytes = (model: Model, id: string) => {
    const found = model.store.inner.load(storeKeyOf(id));
    return typeof found === 'object' ? Buffer.byteLength(serializeRecord(found.record)) : 0;
  };

  it('always hands out a CSRF token, and the session it takes over maxSize still takes same-size replacements and removals', async () => {
    const model = modelOnCountingStore({ maxSize });
    const id = await fullSession(model);
    const page = model.request(id);
    await page.manager.getCsrfToken();
    page.core.commitForResponse();
    expect(storedBytes(model, id)).toBeGreaterThan(maxSize);

    const next = model.request(id);
    await next.segment.set('k0', 'yyyyyyyy');
    await next.segment.remove('k1');
    await expect(next.segment.set('k1', 'xxxxxxxx')).rejects.toThrow(SessionTooLargeError);
    await expect(next.segment.set('k2', 'x'.repeat(9))).rejects.toThrow(SessionTooLargeError);
    next.core.commitForResponse();
    const values = await model.request(id).segment.getAll();
    expect(values).toMatchObject({ k0: 'yyyyyyyy', k2: 'xxxxxxxx' });
    expect(values).not.toHaveProperty('k1');
  });

  it('refuses bindUser on a full session with SessionTooLargeError and stores no binding', async () => {
    const model = modelOnCountingStore({ maxSize });
    const id = await fullSession(model);
    const login = model.request(id);
    await expect(login.manager.bindUser('u'.repeat(256))).rejects.toThrow(SessionTooLargeError);
    expect(await login.manager.getUserId()).toBeUndefined();
    login.core.commitForResponse();
    expect(await model.request(id).manager.getUserId()).toBeUndefined();
    expect(storedBytes(model, id)).toBeLessThanOrEqual(maxSize);
  });

  it('counts a binding, so the sets after it keep the stored session within maxSize', async () => {
    const model = modelOnCountingStore({ maxSize });
    const { manager, segment, core, exchange } = model.request();
    await manager.bindUser('alice');
    for (let n = 0; ; n++) {
      try {
        await segment.set(`k${n}`, 'xxxxxxxx');
      } catch {
        break;
      }
    }
    await core.commit();
    const id = idOf(exchange)!;
    expect(await model.request(id).manager.getUserId()).toBe('alice');
    expect(storedBytes(model, id)).toBeLessThanOrEqual(maxSize);
  });
});

describe('SessionCore: touching a session that is only read', () => {
  const clock = fakeClock();

  it('writes nothing before touchAfter, and pushes the expiry once it has passed', async () => {
    const model = modelOnCountingStore({ idleTimeout: 600_000, touchAfter: 60_000 });
    const id = await storedSession(model, { a: 1 });
    clock.advance(59_999);
    const early = model.request(id);
    await early.segment.get('a');
    expect(early.core.needsCommit()).toBe(false);
    early.core.commitForResponse();
    expect(model.store.calls.commit).toBe(0);
    clock.advance(1);
    const due = model.request(id);
    await due.segment.get('a');
    expect(due.core.needsCommit()).toBe(true);
    due.core.commitForResponse();
    expect(model.store.calls.commit).toBe(1);
    // Idle for almost the whole timeout since the touch, not since the write: still there.
    clock.advance(599_999);
    expect(await model.request(id).segment.get('a')).toBe(1);
  });

  it('with touchAfter 0, touches once per request, and again only after another read', async () => {
    const model = modelOnCountingStore({ idleTimeout: 600_000, touchAfter: 0 });
    const id = await storedSession(model, { a: 1 });
    const request = model.request(id);
    await request.segment.get('a');
    expect(request.core.needsCommit()).toBe(true);
    request.core.commitForResponse();
    expect(request.core.needsCommit()).toBe(false);
    clock.advance(5);
    expect(request.core.needsCommit()).toBe(false);
    await request.segment.get('a');
    expect(request.core.needsCommit()).toBe(true);
    request.core.commitForResponse();
    expect(model.store.calls.commit).toBe(2);
  });

  it('stores no touch for reads made before forgoTouch(), and stores writes after it', async () => {
    const model = modelOnCountingStore({ idleTimeout: 600_000, touchAfter: 60_000 });
    const id = await storedSession(model, { a: 1 });
    clock.advance(60_000);
    const refused = model.request(id);
    await refused.manager.isCsrfTokenValid('forged');
    refused.core.forgoTouch();
    expect(refused.core.needsCommit()).toBe(false);
    await refused.segment.set('b', 2);
    expect(refused.core.needsCommit()).toBe(true);
    refused.core.commitForResponse();
    expect(await model.request(id).segment.get('b')).toBe(2);
  });
});

describe('SessionCore: a conflict on the synchronous memory store', () => {
  fakeClock();
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('is merged however small storeTimeout is, though the clock ticks during the merge', async () => {
    const model = modelOnCountingStore({ storeTimeout: 1 });
    const id = await storedSession(model, { a: 1 });
    const first = model.request(id);
    const second = model.request(id);
    await first.segment.get('a');
    await second.segment.get('a');
    await first.segment.set('b', 2);
    await second.segment.set('c', 3);
    first.core.commitForResponse();
    // Every clock read from now on is 5 ms later than the one before.
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => (now += 5));
    expect(() => second.core.commitForResponse()).not.toThrow();
    expect(model.store.calls.commit).toBe(3);
    expect(await model.request(id).segment.getAll()).toEqual({ a: 1, b: 2, c: 3 });
  });
});

describe('SessionCore: instances whose clocks disagree', () => {
  fakeClock();

  it('logs a session last written more than 5 s ahead of this clock, and still serves it', async () => {
    const model = modelOnCountingStore();
    const id = await storedSession(model, { a: 1 });
    // This instance is 30 s behind the one that wrote the session.
    jest.setSystemTime(Date.now() - 30_000);
    expect(await model.request(id).segment.get('a')).toBe(1);
    expect(model.warnings).toEqual([
      expect.stringContaining("last written 30 s ahead of this instance's clock"),
    ]);
    // 3 s behind: within what a write landing during a load can show.
    jest.setSystemTime(Date.now() + 27_000);
    expect(await model.request(id).segment.get('a')).toBe(1);
    expect(model.warnings).toHaveLength(1);
  });
});
