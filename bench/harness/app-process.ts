import { fork, type ChildProcess } from 'node:child_process';
import type { ReadyMessage } from '../apps/server.js';
import type { UsageReply } from '../apps/usage-probe.js';
import type { Variant } from '../apps/variants.js';
import { stopChild, track } from './child-processes.js';
import { pinnedFork } from './cpu-pinning.js';
import { freePort } from './free-port.js';

const SERVER = new URL('../apps/server.js', import.meta.url);

/** One app variant in its own Node process, listening on its own loopback port. */
export class AppProcess {
  private constructor(
    readonly variant: Variant,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts the app; `nodeFlags` go to its Node (e.g. `--cpu-prof`), `cores` (a `taskset` core
   * list) keeps it on those cores.
   */
  static async start(
    variant: Variant,
    redisUrl: string,
    { nodeFlags = [], cores }: { nodeFlags?: string[]; cores?: string } = {},
  ): Promise<AppProcess> {
    const port = await freePort();
    const child = fork(SERVER, [variant.id, `${port}`, redisUrl], {
      ...pinnedFork(cores, nodeFlags),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${variant.id}: not listening after 30 s`)),
        30_000,
      );
      child.once('message', (message) => {
        clearTimeout(timer);
        if ((message as ReadyMessage).ready) resolve();
        else reject(new Error(`${variant.id}: sent ${JSON.stringify(message)} instead of ready`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${variant.id}: exited with ${code} before listening`));
      });
    });
    return new AppProcess(variant, `http://127.0.0.1:${port}`, child);
  }

  /** The app's memory and CPU time so far. */
  usage(): Promise<UsageReply> {
    return new Promise((resolve) => {
      this.child.once('message', (reply) => resolve(reply as UsageReply));
      this.child.send('usage');
    });
  }

  /** Ends the app by closing its IPC channel (so a CPU profile gets written), then by signals. */
  stop(): Promise<void> {
    return stopChild(this.child, () => this.child.disconnect());
  }
}
