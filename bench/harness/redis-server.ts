import { spawn, type ChildProcess } from 'node:child_process';
import { createClient, type RedisClientType } from 'redis';
import { stopChild, track } from './child-processes.js';
import { freePort } from './free-port.js';

/** A throwaway redis-server on a free loopback port, without persistence. */
export class RedisServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: RedisClientType,
    readonly url: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const args = ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    track(child);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready:\n${output}`)),
        10_000,
      );
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          error.code === 'ENOENT'
            ? new Error('redis-server is not installed: apt-get install -y redis-server')
            : error,
        );
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stdout?.resume();
    const url = `redis://127.0.0.1:${port}`;
    const client: RedisClientType = createClient({ url });
    await client.connect();
    return new RedisServer(child, client, url);
  }

  /** Commands Redis has run so far, apart from the INFO calls of this counter itself. */
  async commandCount(): Promise<number> {
    const info = await this.client.info('commandstats');
    let calls = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (match[1] !== 'info') calls += Number(match[2]);
    }
    return calls;
  }

  async stop(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await stopChild(this.child, () => this.child.kill('SIGTERM'));
  }
}
