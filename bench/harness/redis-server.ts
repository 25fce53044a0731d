import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
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

  /**
   * Counts the commands clients send while `work` runs, with MONITOR: a round trip is what an
   * app sends, so the commands a Lua script runs inside Redis (`[0 lua]` lines, which
   * `INFO commandstats` would count too) are left out.
   */
  async countCommands(work: () => Promise<void>): Promise<number> {
    const socket = createConnection({ port: Number(new URL(this.url).port), host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    let commands = 0;
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\r\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('+') && line !== '+OK' && !line.includes('[0 lua]')) commands++;
      }
    });
    socket.write('MONITOR\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await work();
    // Let MONITOR report the last commands before closing it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    return commands;
  }

  async stop(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await stopChild(this.child, () => this.child.kill('SIGTERM'));
  }
}
