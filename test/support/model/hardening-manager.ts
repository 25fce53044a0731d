import type { HttpExchange } from '../../../src/core/http-exchange.js';
import {
  resolveSessionConfig,
  type SessionModuleOptions,
} from '../../../src/core/session-options.js';
import { SessionRuntime } from '../../../src/core/session-runtime.js';
import { newSessionManager } from '../../../src/core/session-manager.js';
import { KeyvSessionStore } from '../../../src/storage/keyv-session-store.js';
import { memoryStore } from '../stores/hardening-stores.js';

/** A request as the session model sees it, with the Set-Cookie headers it was given. */
export class FakeExchange implements HttpExchange {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly cookie?: string,
    readonly method = 'GET',
    private readonly headers: Record<string, string> = {},
  ) {}

  cookieHeader(): string | undefined {
    return this.cookie;
  }

  requestHeader(name: string): string | undefined {
    return this.headers[name];
  }

  isSecure(): boolean {
    return false;
  }

  setCookie(name: string, header: string): void {
    this.cookies.set(name, header);
  }
}

/**
 * The session model outside Nest and HTTP, on a counting in-memory store: `request(cookie)`
 * gives the SessionManager of one request.
 */
export function modelOnMemory(options: SessionModuleOptions = {}) {
  const store = memoryStore();
  const config = resolveSessionConfig(options);
  const runtime = new SessionRuntime(config, new KeyvSessionStore(store.cache), {
    warn: () => undefined,
  });
  return {
    store,
    request(cookie?: string, method = 'GET') {
      const exchange = new FakeExchange(cookie, method);
      return { manager: newSessionManager(runtime, exchange), exchange };
    },
  };
}
