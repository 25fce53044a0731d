import { writeFileSync } from 'node:fs';

/**
 * Writes Jest's totals to .jest-results.json so .ci/run can print its one-line summary
 * without asking `npm test` for different flags than the README shows.
 */
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      total: results.numTotalTests,
    };
    writeFileSync(new URL('../.jest-results.json', import.meta.url), JSON.stringify(summary));
  }
}
