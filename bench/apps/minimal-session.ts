import { randomBytes } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { parse } from 'cookie';

/** A session as the minimal layer stores it: decoded, never changed once stored. */
interface MinimalRecord {
  readonly values: Readonly<Record<string, number>>;
  readonly lastSeen: number;
}

const COOKIE = 'sid';
const IDLE_TIMEOUT = 1_440_000;
const SESSION = Symbol('bench.minimal-session');
const records = new Map<string, MinimalRecord>();

/**
 * The least a session layer can do for the bench's routes, and nothing more: read the cookie,
 * find the record in a map, check its idle time, hand out a value; on a change, store a new record
 * (copy on write) and send a cookie for a new session; mark a response that used the session
 * `Cache-Control: private`. No segments, flash, CSRF, size limit, id digest, store interface or
 * error handling: its `× baseline` is what the same observable work costs at the least.
 */
export class MinimalSession {
  private id: string | undefined;
  private record: MinimalRecord | undefined;
  private loaded = false;
  private changed = false;

  constructor(private readonly cookieHeader: string | undefined) {}

  get(key: string): Promise<number | undefined> {
    return Promise.resolve(this.load()?.values[key]);
  }

  set(key: string, value: number): Promise<void> {
    const record = this.load();
    if (record?.values[key] !== value) {
      this.record = { values: { ...record?.values, [key]: value }, lastSeen: Date.now() };
      this.changed = true;
    }
    return Promise.resolve();
  }

  /** Stores a changed session; the `Set-Cookie` value for a new one, else `undefined`. */
  commit(): string | undefined {
    if (!this.changed) return undefined;
    const isNew = this.id === undefined;
    this.id ??= randomBytes(32).toString('base64url');
    records.set(this.id, this.record!);
    return isNew ? `${COOKIE}=${this.id}; Path=/; HttpOnly; SameSite=Lax` : undefined;
  }

  private load(): MinimalRecord | undefined {
    if (this.loaded) return this.record;
    this.loaded = true;
    const id = this.cookieHeader === undefined ? undefined : parse(this.cookieHeader)[COOKIE];
    const record = id === undefined ? undefined : records.get(id);
    if (record !== undefined && Date.now() - record.lastSeen < IDLE_TIMEOUT) {
      this.id = id;
      this.record = record;
    }
    return this.record;
  }
}

interface MinimalSlot {
  [SESSION]?: MinimalSession;
  headers: { cookie?: string };
}

/** The request's {@link MinimalSession}, made on first use, as `@Segment()` hands out a segment. */
export const Minimal = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<MinimalSlot>();
  return (request[SESSION] ??= new MinimalSession(request.headers.cookie));
});

/** The part of a Fastify instance the layer hooks. */
interface MinimalHost {
  decorateRequest(name: symbol, value: undefined): unknown;
  addHook(
    name: 'onSend',
    hook: (
      request: MinimalSlot,
      reply: { header(name: string, value: string): unknown },
      payload: unknown,
      done: (error: null, payload: unknown) => void,
    ) => void,
  ): unknown;
}

/** Commits each used session in Fastify's `onSend`, before the headers go out. */
export function installMinimalSessions(fastify: MinimalHost): void {
  // Declared, so that Fastify builds every request with the slot and none changes shape.
  fastify.decorateRequest(SESSION, undefined);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const session = request[SESSION];
    if (session === undefined) return done(null, payload);
    const cookie = session.commit();
    if (cookie === undefined) {
      reply.header('cache-control', 'private');
    } else {
      reply.header('set-cookie', cookie);
      reply.header('cache-control', 'private, no-store');
    }
    done(null, payload);
  });
}
