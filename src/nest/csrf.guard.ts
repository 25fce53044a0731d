import {
  Injectable,
  Optional,
  RequestMethod,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedCsrfOptions } from '../core/session-options.js';
import { coreOf } from '../core/session-manager.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { crossSiteReason, headerValue } from '../http/cross-site.js';
import { bindResponse, originOf, requireRuntimeOf, sessionOf } from '../http/request-session.js';
import { contextRequestOf, graphqlOperationOf } from './context-request.js';
import { CsrfException, type CsrfRejectionReason } from './csrf.exception.js';
import { GraphqlExtensionsError } from './graphql-error.js';
import { SKIP_CSRF } from './skip-csrf.decorator.js';

interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body?: unknown;
}

// Requests that passed: a GraphQL request is checked once per mutation field (and per field
// resolver with guards on), and a login in its first field replaces the session's secret, which
// the token of the rest of the same request must not then fail against.
const passed = new WeakSet<object>();

/** Methods a browser sends cross-site without asking (links, images, prefetch). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Nest's metadata key of a route's method (`@nestjs/common/constants`), which the package root
// does not export.
const METHOD_METADATA = 'method';

/**
 * Whether `request` is checked: by its method, or by the method its route was declared for. On
 * Fastify the route is chosen by the method the browser sent, before middleware runs: one that
 * rewrites `request.method` (method-override's `?_method=GET`) would otherwise take a forged POST
 * past the check into a `@Post()` handler. (Express routes by the rewritten method.) An `@All()`
 * route declares no one method: only the request's own says which it is.
 */
function isChecked(methods: readonly string[], method: string, handler: object): boolean {
  if (methods.includes(method)) return true;
  const declared = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  return (
    declared !== undefined &&
    declared !== RequestMethod.ALL &&
    methods.includes(RequestMethod[declared])
  );
}

interface Refusal {
  reason: CsrfRejectionReason;
  message: string;
}

// A mutation with no HTTP request behind it (an operation over WebSocket) cannot be checked, and a
// guard made with `new CsrfGuard()` cannot even tell then whether CSRF is off.
const NO_HTTP_REQUEST: Refusal = {
  reason: 'csrf_cross_site',
  message: 'Mutation without an HTTP request refused',
};

/**
 * Refuses cross-site forgeries of unsafe requests, cheapest check first: Fetch Metadata, then
 * the `Origin` header, then the session's CSRF token from the header or the body field (never
 * the query string, which leaks into logs and Referer). Safe methods are never checked and never
 * load a session. GraphQL mutations are checked against their HTTP request whatever the GraphQL
 * driver's own CSRF setting, refused outright when sent with a safe method, and refused when sent
 * over WebSocket, where there is no HTTP request to check; queries are not checked. WebSocket
 * messages and RPC handlers pass. `SessionModule` puts it on every route that takes one of
 * `csrf.methods` (globally in an app that serves GraphQL), unless `csrf.guard` is false. One made
 * by hand, `new CsrfGuard()` (for `app.useGlobalGuards()` or `@UseGuards()`), checks each request
 * with the options of the `SessionModule` of the app that serves it.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  /** @internal Nest injects them; `new CsrfGuard()` has neither (see the class). */
  constructor(
    @Optional() private readonly runtime?: SessionRuntime,
    @Optional() private readonly reflector: Reflector = new Reflector(),
  ) {}

  /**
   * Nest calls it before the handler. Returns `true` at once, with no promise, for a request it
   * does not check (a method outside `csrf.methods`, a GraphQL query, a handler or class under
   * `@SkipCsrf()`, a WebSocket message, an RPC call, any request with CSRF turned off), and `true`
   * for one that passes the check;
   * otherwise throws a {@link CsrfException} (403 with its `reason`) over HTTP, or an error whose
   * `extensions.code` is `FORBIDDEN` for a GraphQL mutation.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const type = context.getType<string>();
    if (type === 'http') {
      // The arguments themselves: `switchToHttp()` builds three closures on every call.
      const request = context.getArgByIndex<GuardedRequest>(0);
      const runtime = this.runtime ?? requireRuntimeOf(request);
      const csrf = runtime.config.csrf;
      if (!csrf || !isChecked(csrf.methods, request.method, context.getHandler())) return true;
      if (this.skipped(context)) return true;
      return this.check(context, request, runtime, csrf).then(httpVerdict);
    }
    if (type !== 'graphql' || (this.runtime && !this.runtime.config.csrf)) return true;
    if (graphqlOperationOf(context) !== 'mutation' || this.skipped(context)) return true;
    return this.checkMutation(context);
  }

  private skipped(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean | undefined>(SKIP_CSRF, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    );
  }

  private async checkMutation(context: ExecutionContext): Promise<boolean> {
    const request = contextRequestOf(context)?.request as GuardedRequest | undefined;
    const refusal = request ? await this.checkMutationRequest(context, request) : NO_HTTP_REQUEST;
    if (!refusal) return true;
    throw new GraphqlExtensionsError(refusal.message, {
      code: 'FORBIDDEN',
      reason: refusal.reason,
    });
  }

  private async checkMutationRequest(
    context: ExecutionContext,
    request: GuardedRequest,
  ): Promise<Refusal | undefined> {
    const runtime = this.runtime ?? requireRuntimeOf(request);
    const csrf = runtime.config.csrf;
    if (!csrf) return undefined;
    if (SAFE_METHODS.has(request.method)) {
      return {
        reason: 'csrf_method_not_allowed',
        message: `Mutations cannot be sent with ${request.method}`,
      };
    }
    return this.check(context, request, runtime, csrf);
  }

  private async check(
    context: ExecutionContext,
    request: GuardedRequest,
    runtime: SessionRuntime,
    csrf: ResolvedCsrfOptions,
  ): Promise<Refusal | undefined> {
    if (passed.has(request)) return undefined;
    const crossSite = crossSiteReason(
      request.headers,
      () => originOf(request),
      csrf.trustedOrigins,
    );
    if (crossSite === 'csrf_cross_site') {
      return { reason: crossSite, message: 'Cross-site request refused' };
    }
    if (crossSite === 'csrf_origin_mismatch') {
      const origin = headerValue(request.headers, 'origin');
      return { reason: crossSite, message: `Origin ${origin} is not allowed` };
    }
    const token = this.tokenOf(request, csrf);
    // A JSON `null` is a field left empty, as `''` is in a form.
    if (token === undefined || token === null || token === '') {
      return { reason: 'csrf_token_missing', message: 'CSRF token missing' };
    }
    const response = contextRequestOf(context)?.response;
    if (response !== undefined) bindResponse(request, response);
    const session = sessionOf(request, runtime);
    if (!(await session.isCsrfTokenValid(token))) {
      // Reading the session for the check is not the user's activity.
      coreOf(session).forgoTouch();
      return { reason: 'csrf_token_invalid', message: 'CSRF token invalid' };
    }
    passed.add(request);
    return undefined;
  }

  private tokenOf(request: GuardedRequest, csrf: ResolvedCsrfOptions): unknown {
    const fromHeader = headerValue(request.headers, csrf.header);
    if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
    // A batched GraphQL request's body is an array, whose entries are not read: a batch carries
    // the token in the header, once for all its operations.
    const body = request.body;
    if (!isRecord(body)) return undefined;
    if (Object.hasOwn(body, csrf.field)) return body[csrf.field];
    // `form[_token]` as Express's urlencoded parser nests it; Fastify's keeps the name flat.
    if (!csrf.fieldPath) return undefined;
    let value: unknown = body;
    for (const key of csrf.fieldPath) {
      if (!isRecord(value) || !Object.hasOwn(value, key)) return undefined;
      value = value[key];
    }
    return value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function httpVerdict(refusal: Refusal | undefined): boolean {
  if (refusal) throw new CsrfException(refusal.reason, refusal.message);
  return true;
}
