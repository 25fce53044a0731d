import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The directory Jest's global setup made for the pids of running children; its teardown kills
 * every child still listed there (a sandboxed test cannot hook the real process's exit).
 */
const pidsDir = process.env.NEST_AURA_SESSION_TEST_PIDS;

/**
 * Takes charge of a child a test started: it no longer keeps the test run alive, and it is
 * killed by its pid when the run exits, even if the test failed before stopping it.
 */
export function owned<T extends ChildProcess>(child: T): T {
  // Outside Jest's global setup nothing would kill a leaked child: it stays referenced then.
  if (child.pid === undefined || !pidsDir) return child;
  const listed = join(pidsDir, String(child.pid));
  writeFileSync(listed, '');
  child.once('exit', () => rmSync(listed, { force: true }));
  child.unref();
  child.channel?.unref();
  return child;
}

/** Whether `child` has exited (or was killed). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGKILLs `child` by its pid and resolves once it has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
}
