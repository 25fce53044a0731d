import { createConnection, type Socket } from 'node:net';
import { redisCommand } from './redis-server.js';

const MARK_TIMEOUT_MS = 10_000;

/**
 * Counts the commands clients send to a Redis server, with MONITOR. Commands a Lua script runs
 * inside Redis show up as `[0 lua]` lines and are not counted: a round trip is what an app sends.
 */
export class RedisMonitor {
  private lines: string[] = [];
  private buffer = '';
  private marks = 0;
  /** The mark `take()` waits for, and what to do once MONITOR reports it. */
  private awaited: { mark: string; seen: () => void } | undefined;
  private started: (() => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
  ) {
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString();
      const parts = this.buffer.split('\r\n');
      this.buffer = parts.pop()!;
      for (const line of parts) this.read(line);
    });
  }

  private read(line: string): void {
    if (line === '+OK') {
      this.started?.();
      return;
    }
    if (!line.startsWith('+')) return;
    if (this.awaited && line.includes(`"${this.awaited.mark}"`)) {
      this.awaited.seen();
      return;
    }
    this.lines.push(line);
  }

  /** Starts monitoring; resolves once the server has confirmed MONITOR. */
  static async start(port: number): Promise<RedisMonitor> {
    const socket = createConnection({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const monitor = new RedisMonitor(socket, port);
    const started = new Promise<void>((resolve) => (monitor.started = resolve));
    socket.write('MONITOR\r\n');
    await within(started, 'MONITOR was not confirmed');
    return monitor;
  }

  /**
   * Commands seen since the last call (lower-case names). MONITOR reports commands in the order
   * the server runs them: once it reports a mark sent now, every command that was answered before
   * this call has been reported, however busy the machine.
   */
  async take(): Promise<string[]> {
    const mark = `monitor-mark-${++this.marks}`;
    const seen = new Promise<void>((resolve) => (this.awaited = { mark, seen: resolve }));
    await redisCommand(this.port, `ECHO ${mark}`);
    await within(seen, `MONITOR did not report ${mark}`);
    this.awaited = undefined;
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

function within(promise: Promise<void>, failure: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${failure} within ${MARK_TIMEOUT_MS} ms`)),
      MARK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
