import { ConfigurableModuleBuilder } from '@nestjs/common';
import { SessionOptionsError } from '../core/errors.js';
import type { SessionModuleOptions } from '../core/session-options.js';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SessionModuleOptions>({ moduleName: 'Session' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => {
      // Read by Nest as truthy or not: `'no'` would make the module global without a word.
      const isGlobal: unknown = extras.isGlobal ?? true;
      if (typeof isGlobal !== 'boolean') {
        throw new SessionOptionsError('isGlobal', 'must be a boolean');
      }
      return { ...definition, global: isGlobal };
    })
    .build();

/** The base of `SessionModule`: gives it `forRoot()` and `forRootAsync()`. */
export const ConfigurableSessionModule = ConfigurableModuleClass;

/**
 * Injection token of the options as given to `forRoot()` or returned by the `forRootAsync()`
 * factory, before validation and defaults: `@Inject(SESSION_MODULE_OPTIONS)` reads them back.
 */
export const SESSION_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;

/** What `forRoot()` takes: the {@link SessionModuleOptions}, and `isGlobal` (default `true`). */
export const SESSION_MODULE_OPTIONS_TYPE = OPTIONS_TYPE;

/** What `forRootAsync()` takes: how to build the options, and `isGlobal` (default `true`). */
export const SESSION_MODULE_ASYNC_OPTIONS_TYPE = ASYNC_OPTIONS_TYPE;
