import {
  Module,
  Scope,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, HttpAdapterHost, ModulesContainer, REQUEST } from '@nestjs/core';
import { SessionManager } from '../core/session-manager.js';
import { newSessionRegistry, SessionRegistry } from '../core/session-registry.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { withTimeout } from '../core/with-timeout.js';
import { installFastifyCommitHook, type FastifyHookHost } from '../http/fastify-commit-hook.js';
import { installResponseHold } from '../http/response-hold.js';
import { attachRuntime, bindResponse, sessionOf } from '../http/request-session.js';
import { injectedRequest } from './context-request.js';
import { CsrfGuard } from './csrf.guard.js';
import { attachCsrfGuard, servesGraphql } from './csrf-guard-attachment.js';
import {
  ConfigurableSessionModule,
  SESSION_MODULE_OPTIONS,
  SESSION_MODULE_ASYNC_OPTIONS_TYPE,
  SESSION_MODULE_OPTIONS_TYPE,
} from './session-module-definition.js';
import { SessionHealthIndicator } from './session-health.indicator.js';
import { SessionExceptionFilter } from './session-exception.filter.js';
import { SessionInterceptor } from './session.interceptor.js';
import { SessionSockets } from './session-sockets.js';
import { serveSocketSessions, type UpgradeSource } from '../ws/socket-handshake.js';
import { sessionRuntimeProvider } from './session-runtime.provider.js';

/** The request-scoped `SessionManager`: the same object `@Session()` hands out. */
const sessionManagerProvider: Provider = {
  provide: SessionManager,
  scope: Scope.REQUEST,
  inject: [REQUEST, SessionRuntime],
  useFactory: (injected: unknown, runtime: SessionRuntime) => {
    const { request, response } = injectedRequest(injected);
    if (response !== undefined) bindResponse(request, response);
    return sessionOf(request, runtime);
  },
};

/** The app's one `SessionRegistry`, on the same store and options as its sessions. */
const sessionRegistryProvider: Provider = {
  provide: SessionRegistry,
  inject: [SessionRuntime],
  useFactory: (runtime: SessionRuntime) => newSessionRegistry(runtime),
};

/**
 * The CSRF guard: global in an app that serves GraphQL (its resolvers may come from factories, so
 * only a global guard reaches them all); elsewhere attached to the routes that take unsafe
 * methods, while Nest builds the providers (it reads the guards of routes later, when it registers
 * them), so safe routes pay for no guard step. Nest skips an enhancer factory that returns
 * nothing. With CSRF or its guard turned off there is no guard at all.
 */
const csrfGuardProvider: Provider = {
  provide: APP_GUARD,
  inject: [SessionRuntime, ModulesContainer, CsrfGuard],
  useFactory: (
    runtime: SessionRuntime,
    modules: ModulesContainer,
    guard: CsrfGuard,
  ): CsrfGuard | null => {
    const csrf = runtime.config.csrf;
    if (!csrf || !csrf.guard) return null;
    if (servesGraphql(modules)) return guard;
    attachCsrfGuard(modules, runtime, guard, csrf.methods);
    return null;
  },
};

/**
 * Sessions for the whole app: `SessionModule.forRoot(options)` or `forRootAsync({ useFactory })`.
 * Global by default (`isGlobal: false` to opt out). Attaches the CSRF guard to every route that
 * takes an unsafe method (registers it globally in an app that serves GraphQL), registers the
 * filter that answers session failures (503, 413) globally, and hooks the HTTP server so a used
 * session is committed before its response goes out. There is deliberately no global interceptor: Nest's
 * interceptor pipeline alone halves the throughput of a bare Fastify route. WebSocket gateways
 * opt in with `@UseInterceptors(SessionInterceptor)`, and reach a socket's session with the
 * `SessionSockets` it provides. Provides the `SessionRegistry` of users' sessions.
 */
@Module({
  providers: [
    sessionRuntimeProvider,
    sessionManagerProvider,
    sessionRegistryProvider,
    CsrfGuard,
    SessionHealthIndicator,
    SessionSockets,
    SessionInterceptor,
    csrfGuardProvider,
    { provide: APP_FILTER, useClass: SessionExceptionFilter },
  ],
  exports: [
    SESSION_MODULE_OPTIONS,
    SessionRuntime,
    SessionManager,
    SessionRegistry,
    CsrfGuard,
    SessionHealthIndicator,
    SessionSockets,
    SessionInterceptor,
  ],
})
export class SessionModule
  extends ConfigurableSessionModule
  implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown
{
  /** @internal Nest injects it. */
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  /**
   * Sessions for the app, with `options` (each optional: `forRoot()` runs on the defaults, the
   * in-memory store included) and `isGlobal` (default `true`). Import it once, in the root module:
   * a second import stops the app with a `SessionError` of code `SESSION_OPTIONS_INVALID`.
   * Invalid options stop it with a `SessionOptionsError` naming the option.
   */
  static override forRoot(options: typeof SESSION_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * Sessions for the app, with options built from other providers: `useFactory` (with `imports`
   * and `inject`), or `useClass`/`useExisting` with a class whose `create()` returns the options
   * (or a promise of them). `isGlobal` goes here, beside `useFactory`, not into what it returns.
   * A factory that returns nothing, `null` or an array stops the app with a `SessionOptionsError`,
   * as invalid options do. Import it once, in the root module, as {@link SessionModule.forRoot}.
   */
  static override forRootAsync(options: typeof SESSION_MODULE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }

  /**
   * Hooks the HTTP server so that a used session is committed before its response goes out, and
   * connects the store.
   */
  async onModuleInit(): Promise<void> {
    this.hookHttpServer();
    await this.connectStore();
  }

  /**
   * On a graceful shutdown (`app.close()`, or a signal after `app.enableShutdownHooks()`), waits
   * up to `storeTimeout` for store work that outlived its request: the undo of a
   * `regenerateId()` whose move a stalled store ran after the request had answered 503. Stopping
   * before that undo would leave the browser's cookie naming a moved session, its user signed
   * out. Nest runs it after the `onModuleDestroy` of the modules that import this one (of every
   * module, while it is global): a store client that the app closes there can cut the undo off
   * unseen, so close it in `onApplicationShutdown`, which comes later.
   */
  async onModuleDestroy(): Promise<void> {
    const { lateWork, config, logger } = this.runtime;
    if (lateWork.size === 0) return;
    logger.warn(
      `Shutting down: waiting up to ${config.storeTimeout} ms for ${lateWork.size} session store call(s) that outlived their requests`,
    );
    const left = await lateWork.settle(config.storeTimeout);
    if (left > 0) {
      logger.warn(
        `Shut down with ${left} session store call(s) unanswered: a regenerateId() that the store runs later stays done, and signs its user out`,
      );
    }
  }

  /**
   * Writes the counts of warnings repeated since they were last written (a store outage's
   * failures are written once per 10 s), so none is lost when the app stops, and takes the
   * module's listeners off the cache passed in `store`, which the app owns and may share.
   */
  onApplicationShutdown(): void {
    this.runtime.logger.flush?.();
    this.runtime.store.release?.();
  }

  private hookHttpServer(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const instance = adapter.getInstance<object>();
    const fastify = adapter.getType() === 'fastify';
    // Express gives each app its own response prototype: hold its responses there, once.
    const appResponse = fastify ? undefined : (instance as { response?: unknown }).response;
    const heldByPrototype = typeof appResponse === 'object' && appResponse !== null;
    // Attached first: a second module of other options is refused before it hooks anything.
    attachRuntime(instance, this.runtime, fastify ? 'fastify' : 'express', heldByPrototype);
    const server = adapter.getHttpServer() as UpgradeSource | undefined;
    if (server) serveSocketSessions(server, this.runtime);
    if (fastify) installFastifyCommitHook(instance as FastifyHookHost, this.runtime.logger);
    else if (heldByPrototype) installResponseHold(appResponse);
  }

  /**
   * Connects the store before the first request, so concurrent first requests never fail while
   * a client is still connecting. A store that is down does not stop the app: its requests that
   * need a session get 503 until it is back.
   */
  private async connectStore(): Promise<void> {
    const { store, config, logger } = this.runtime;
    if (!store.connect) return;
    try {
      await withTimeout('connect', store.connect(), config.storeTimeout);
    } catch (error) {
      logger.warn(`Session store not reachable at startup (${String(error)}); retrying on use`);
    }
  }
}
