import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SessionModuleOptions } from '../core/session-options.js';

export const {
  ConfigurableModuleClass: ConfigurableSessionModule,
  /**
   * Injection token of the options as given to `forRoot()` or returned by the `forRootAsync()`
   * factory, before validation and defaults.
   */
  MODULE_OPTIONS_TOKEN: SESSION_MODULE_OPTIONS,
  OPTIONS_TYPE: SESSION_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SESSION_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SessionModuleOptions>({ moduleName: 'Session' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
