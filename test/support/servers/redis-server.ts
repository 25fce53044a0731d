import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { stopProcess } from '../process/owned-process.js';
import { freePort } from './free-ports.js';
import { launchRedis } from './redis-process.js';

export { redisAvailable } from './redis-process.js';

/** A throwaway redis-server on a free loopback port, owned by the test that started it. */
export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGKILL by pid) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, after {@link stop}. */
  restart(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP): connections stay open and nothing is answered, for as long as
   * the test needs, until {@link thaw}. Unlike `CLIENT PAUSE <ms>`, no real-time window to beat.
   */
  freeze(): void;
  /** Lets a frozen server answer again (SIGCONT). */
  thaw(): void;
  /** Sends one command (inline protocol) and returns the raw reply. */
  command(line: string): Promise<string>;
}

/** Starts redis-server on a free 127.0.0.1 port. */
export async function startRedis(): Promise<RedisServer> {
  const args = ['--save', '', '--appendonly', 'no'];
  let port = await freePort();
  let child: ChildProcess | undefined;
  // Another process may take the port between the probe and the bind: then try another one.
  for (let attempt = 1; !child; attempt++) {
    try {
      child = await launchRedis(port, args);
    } catch (error) {
      if (attempt === 3) throw error;
      port = await freePort();
    }
  }
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child) await stopProcess(child);
    },
    async restart() {
      child = await launchRedis(port, args);
    },
    freeze: () => process.kill(child!.pid!, 'SIGSTOP'),
    thaw: () => process.kill(child!.pid!, 'SIGCONT'),
    command: (line) => redisCommand(port, line),
  };
  return server;
}

// Generous: on a shared CI machine a reply can take far longer than it does on a quiet one, and
// a helper that gave up early would hand a test an empty reply instead of failing it.
const REPLY_TIMEOUT_MS = 10_000;

/** Sends one command (inline protocol) to the server on `port` and returns its whole raw reply. */
export function redisCommand(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis-server did not answer "${line}" within ${REPLY_TIMEOUT_MS} ms`));
    }, REPLY_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (replyEnd(reply, 0) === reply.length) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.toString());
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(`${line}\r\n`);
  });
}

/**
 * Where the RESP reply starting at byte `from` ends, or -1 while it is incomplete: a reply split
 * over several chunks can end one of them on a line break.
 */
function replyEnd(bytes: Buffer, from: number): number {
  const lineEnd = bytes.indexOf('\r\n', from);
  if (lineEnd < 0) return -1;
  const next = lineEnd + 2;
  const count = Number(bytes.toString('latin1', from + 1, lineEnd));
  switch (String.fromCharCode(bytes[from]!)) {
    case '$':
      if (count < 0) return next;
      return bytes.length >= next + count + 2 ? next + count + 2 : -1;
    case '*': {
      let end = next;
      for (let i = 0; i < count && end >= 0; i++) end = replyEnd(bytes, end);
      return end;
    }
    default:
      return next;
  }
}
