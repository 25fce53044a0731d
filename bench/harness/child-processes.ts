import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

// Whatever way the harness ends (error, Ctrl-C, process.exit), no app or redis-server outlives it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
// A signal handler turns the signal into a normal exit, so the 'exit' handler above runs.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** Registers a child so that it is killed, by its pid, when the harness exits. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Resolves once `child` has exited; asks politely first, then by SIGTERM, then by SIGKILL. */
export async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]);
  ask();
  if (await within(5000)) return;
  child.kill('SIGTERM');
  if (await within(2000)) return;
  child.kill('SIGKILL');
  await exited;
}
