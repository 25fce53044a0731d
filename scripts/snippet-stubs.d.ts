// Type stubs for packages the documentation shows but the repository does not install, so that
// scripts/check-snippets.mjs can type-check those snippets. Each declares only what the docs use,
// with the signatures of the real packages (their releases for NestJS 12).
/* eslint-disable @typescript-eslint/no-explicit-any -- the real signatures use `any` */

declare module '@nestjs/config' {
  import type { DynamicModule } from '@nestjs/common';

  export class ConfigModule {
    static forRoot(options?: {
      isGlobal?: boolean;
      envFilePath?: string | string[];
    }): DynamicModule;
  }

  export class ConfigService {
    get<T = any>(propertyPath: string): T | undefined;
    get<T = any>(propertyPath: string, defaultValue: NoInfer<T>): T;
    getOrThrow<T = any>(propertyPath: string): Exclude<T, undefined>;
  }
}

declare module '@nestjs/terminus' {
  import type { DynamicModule } from '@nestjs/common';

  export type HealthIndicatorStatus = 'up' | 'down';
  export type HealthIndicatorResult<
    Key extends string = string,
    Status extends HealthIndicatorStatus = HealthIndicatorStatus,
    OptionalData extends Record<string, any> = Record<string, any>,
  > = Record<Key, { status: Status } & OptionalData>;
  export type HealthIndicatorFunction = () =>
    PromiseLike<HealthIndicatorResult> | HealthIndicatorResult;
  export interface HealthCheckResult {
    status: 'error' | 'ok' | 'shutting_down';
    info?: HealthIndicatorResult;
    error?: HealthIndicatorResult;
    details: HealthIndicatorResult;
  }

  export class HealthIndicatorSession<Key extends string = string> {
    up<T extends Record<string, unknown>>(data?: T): HealthIndicatorResult<Key, 'up', T>;
    down<T extends Record<string, unknown>>(data?: T): HealthIndicatorResult<Key, 'down', T>;
  }
  export class HealthIndicatorService {
    check<const Key extends string>(key: Key): HealthIndicatorSession<Key>;
  }
  export class HealthCheckService {
    check(healthIndicators: HealthIndicatorFunction[]): Promise<HealthCheckResult>;
  }
  export function HealthCheck(options?: {
    noCache?: boolean;
    swaggerDocumentation?: boolean;
  }): MethodDecorator;
  export class TerminusModule {
    static forRoot(options?: object): DynamicModule;
  }
}
