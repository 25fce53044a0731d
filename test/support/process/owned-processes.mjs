// Jest's global setup and teardown for the child processes tests start (redis-server, app
// processes). Tests run in a sandbox whose `process` is a copy, so an exit hook set there never
// fires: each child instead leaves a file named for its pid in a directory made here, and the
// teardown, in Jest's own process, SIGKILLs every child still listed once all tests are done.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where tests record the pids of the children they start (read by owned-process.ts). */
const PIDS_DIR_ENV = 'NEST_AURA_SESSION_TEST_PIDS';

export function setup() {
  process.env[PIDS_DIR_ENV] = mkdtempSync(join(tmpdir(), 'test-pids-'));
}

export function teardown() {
  const dir = process.env[PIDS_DIR_ENV];
  if (!dir) return;
  for (const name of readdirSync(dir)) {
    try {
      process.kill(Number(name), 'SIGKILL');
    } catch {
      // it exited without being seen to
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
