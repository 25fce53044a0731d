import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedCsrfOptions } from '../core/session-options.js';
import { SessionRuntime } from '../core/session-runtime.js';
import { bindResponse, originOf, sessionOf } from '../http/request-session.js';
import { SKIP_CSRF } from './skip-csrf.decorator.js';

/** Why the guard refused a request; the `reason` field of the 403 body. */
export type CsrfRejectionReason =
  'csrf_cross_site' | 'csrf_origin_mismatch' | 'csrf_token_missing' | 'csrf_token_invalid';

interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body?: unknown;
}

/**
 * Refuses cross-site forgeries of unsafe requests, cheapest check first: Fetch Metadata, then
 * the `Origin` header, then the session's CSRF token from the header or the body field (never
 * the query string, which leaks into logs and Referer). Safe methods are never checked and never
 * load a session. Registered globally by `SessionModule` unless `csrf.guard` is false.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly reflector: Reflector,
  ) {}

  // Synchronous for the requests it does not check: safe methods pay no promise.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const csrf = this.runtime.config.csrf;
    if (!csrf || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    if (!csrf.methods.includes(request.method)) return true;
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_CSRF, [
      context.getHandler(),
      context.getClass(),
    ]);
    return skip ? true : this.check(context, request, csrf);
  }

  private async check(
    context: ExecutionContext,
    request: GuardedRequest,
    csrf: ResolvedCsrfOptions,
  ): Promise<boolean> {
    const origin = header(request.headers, 'origin');
    const trusted = origin !== undefined && csrf.trustedOrigins.includes(origin);
    const site = header(request.headers, 'sec-fetch-site');
    if (site === 'cross-site' || (site === 'same-site' && !trusted)) {
      reject('csrf_cross_site', 'Cross-site request refused');
    }
    if (origin !== undefined && !trusted && origin !== originOf(request)) {
      reject('csrf_origin_mismatch', `Origin ${origin} is not allowed`);
    }
    const token = this.tokenOf(request, csrf);
    if (token === undefined || token === '') {
      reject('csrf_token_missing', 'CSRF token missing');
    }
    bindResponse(request, context.switchToHttp().getResponse());
    const session = sessionOf(request, this.runtime);
    const valid = await session.isCsrfTokenValid(token);
    if (!valid) reject('csrf_token_invalid', 'CSRF token invalid');
    return true;
  }

  private tokenOf(request: GuardedRequest, csrf: ResolvedCsrfOptions): unknown {
    const fromHeader = header(request.headers, csrf.header);
    if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
    const body = request.body;
    if (typeof body !== 'object' || body === null || !Object.hasOwn(body, csrf.field)) {
      return undefined;
    }
    return (body as Record<string, unknown>)[csrf.field];
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function reject(reason: CsrfRejectionReason, message: string): never {
  throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message, reason });
}
