import { fork } from 'node:child_process';
import type { ConnectOutageArgs } from './connect-outage-app.js';

const REGISTER = new URL('../support/process/register.mjs', import.meta.url);
const APP = new URL('./connect-outage-app.ts', import.meta.url);

/** Runs connect-outage-app.ts; resolves with its exit code and what it reported. */
function runApp(args: ConnectOutageArgs): Promise<{ code: number | null; report: unknown }> {
  const child = fork(APP, [JSON.stringify(args)], {
    execArgv: ['--import', REGISTER.href],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let report: unknown;
  child.on('message', (message) => (report = message));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, report }));
  });
}

const cases: ConnectOutageArgs[] = [
  { gateway: 'notes', sockets: 'socket.io' },
  { gateway: 'notes', sockets: 'ws' },
  { gateway: 'sample', sockets: 'socket.io' },
];

describe('A store outage as a socket connects', () => {
  it.each(cases)(
    'is answered by the $gateway gateway over $sockets, and the process keeps running',
    async (args) => {
      const { code, report } = await runApp(args);
      expect(report).toEqual({
        exception: { status: 'error', reason: 'session_store_unavailable' },
      });
      expect(code).toBe(0);
    },
  );
});
