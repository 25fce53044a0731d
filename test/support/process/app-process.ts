import { fork } from 'node:child_process';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { freePort } from '../servers/free-ports.js';
import { owned, stopProcess } from './owned-process.js';
import type { AppProcessArgs } from './session-app.js';

const REGISTER = new URL('./register.mjs', import.meta.url);
const APP = new URL('./session-app.ts', import.meta.url);

/** A session app (HardeningController on Redis) in its own Node process on a loopback port. */
export interface AppProcess {
  url: string;
  pid: number;
  http(): TestAgent;
  /** Stops the process by its pid. */
  stop(): Promise<void>;
}

/** Starts an app process; resolves once it listens (its store already connected). */
export async function startAppProcess(
  adapter: AppProcessArgs['adapter'],
  redisUrl: string,
  options: AppProcessArgs['options'] = {},
): Promise<AppProcess> {
  const port = await freePort();
  const args: AppProcessArgs = { adapter, port, redisUrl, options };
  const child = owned(
    fork(APP, [JSON.stringify(args)], {
      execArgv: ['--import', REGISTER.href],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('app process not ready after 30 s')), 30_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app process exited with ${code} before listening`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return { url, pid: child.pid!, http: () => request(url), stop: () => stopProcess(child) };
}
