import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'node:net';

const REDIS_BIN = '/usr/bin/redis-server';

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

/**
 * Whether Redis tests can run. Under CI a missing redis-server is a failure (the test throws);
 * elsewhere the suite prints a loud SKIPPED line and is skipped.
 */
export function redisAvailable(suite: string): boolean {
  if (existsSync(REDIS_BIN)) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `${suite}: ${REDIS_BIN} is missing and CI=true (apt-get install -y redis-server)`,
    );
  }
  console.warn(
    `\n*** SKIPPED: ${suite}: ${REDIS_BIN} not found (apt-get install -y redis-server) ***\n`,
  );
  return false;
}

/** Starts redis-server on a free 127.0.0.1 port. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      REDIS_BIN,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForPing(port);
  };
  await launch();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      process.kill(running.pid!, 'SIGKILL');
      await exited;
    },
    restart: launch,
    freeze: () => process.kill(child!.pid!, 'SIGSTOP'),
    thaw: () => process.kill(child!.pid!, 'SIGCONT'),
    command: (line) => sendCommand(port, line),
  };
  return server;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await sendCommand(port, 'PING')).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(50);
  }
}

function sendCommand(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, 300);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(`${line}\r\n`);
  });
}
