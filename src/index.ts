export { SessionModule } from './nest/session.module.js';
export { SESSION_MODULE_OPTIONS } from './nest/session-module-definition.js';
export type { SessionModuleOptions, CsrfOptions } from './core/session-options.js';
export type { CookieParams } from './core/cookie-params.js';
export { SessionManager } from './core/session-manager.js';
export {
  SessionRegistry,
  type UserSession,
  type ListUserSessionsOptions,
  type RevokeAllOptions,
} from './core/session-registry.js';
export { Session, sessionFromContext } from './nest/session.decorator.js';
export { Segment } from './nest/segment.decorator.js';
export type { Segment as SessionSegment } from './core/segment.js';
export { SkipCsrf } from './nest/skip-csrf.decorator.js';
export { CsrfGuard } from './nest/csrf.guard.js';
export { CsrfException, type CsrfRejectionReason } from './nest/csrf.exception.js';
export { SessionExceptionFilter } from './nest/session-exception.filter.js';
export { SessionInterceptor } from './nest/session.interceptor.js';
export { SessionSockets } from './nest/session-sockets.js';
export {
  SessionHealthIndicator,
  type SessionStoreHealth,
} from './nest/session-health.indicator.js';
export { CsrfToken } from './core/csrf-token.js';
export { Randval, type RandvalInterface } from './core/randval.js';
export {
  SessionError,
  type SessionErrorCode,
  SessionStoreUnavailableError,
  SessionUnavailableError,
  SessionTooLargeError,
  SessionOptionsError,
} from './core/errors.js';
export {
  followClusterTopology,
  type ClusterTopologyFollower,
  type ClusterTopologyOptions,
  type RedisClusterClient,
  type RedisClusterNode,
  type RedisClusterNodeClient,
  type RedisClusterSlots,
} from './storage/cluster-topology.js';
