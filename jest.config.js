/** Jest runs in native ESM mode: NestJS 12 ships as ES modules only. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The guide's examples import the package by name, as an app does.
    '^nest-aura-session$': '<rootDir>/src/index.ts',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
        module: { type: 'es6' },
      },
    ],
  },
  roots: ['<rootDir>/test', '<rootDir>/docs/examples'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/consumers/'],
  testTimeout: 30000,
  // Children the tests start (redis-server, app processes) never keep Jest running, and any a
  // failed test left behind are killed by pid once the run is over.
  globalSetup: '<rootDir>/test/support/process/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/process/global-teardown.mjs',
  // Under CI, a socket or timer a failed test left open must not hold the run until the CI time
  // limit: once the results are in and the teardown has run, Jest exits (and says so).
  forceExit: process.env.CI === 'true',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  // Coverage of src/ when COVERAGE=1 (as CI runs it) or with --coverage; off otherwise, so one
  // spec run alone does not fail the floor. Istanbul instrumentation ('babel') cost about as
  // much as run-to-run noise here; V8 coverage made the same suites three times slower.
  collectCoverage: process.env.COVERAGE === '1',
  coverageProvider: 'babel',
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 96 } },
};
