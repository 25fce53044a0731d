import { createConnection, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Counts the commands clients send to a Redis server, with MONITOR. Commands a Lua script runs
 * inside Redis show up as `[0 lua]` lines and are not counted: a round trip is what an app sends.
 */
export class RedisMonitor {
  private lines: string[] = [];
  private buffer = '';

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString();
      const parts = this.buffer.split('\r\n');
      this.buffer = parts.pop()!;
      this.lines.push(...parts.filter((line) => line.startsWith('+') && line !== '+OK'));
    });
  }

  static async start(port: number): Promise<RedisMonitor> {
    const socket = createConnection({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const monitor = new RedisMonitor(socket);
    socket.write('MONITOR\r\n');
    await sleep(50);
    return monitor;
  }

  /** Commands seen since the last call (lower-case names), once the server has reported them. */
  async take(): Promise<string[]> {
    await sleep(100);
    const commands = this.lines
      .filter((line) => !line.includes('[0 lua]'))
      .map((line) => /"([^"]+)"/.exec(line)?.[1]?.toLowerCase() ?? line);
    this.lines = [];
    return commands;
  }

  stop(): void {
    this.socket.destroy();
  }
}
