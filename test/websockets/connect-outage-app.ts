// Run in a process of its own by connect-outage.spec.ts: a rejection of a gateway's
// `handleConnection` is unhandled (Nest ignores the promise), which stops a Node process but
// which Jest would not show.
import type { Type } from '@nestjs/common';
import { LiveNotesGateway } from '../../sample/live-notes.gateway.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { NotesGateway } from './notes.gateway.js';
import { startSocketApp, type SocketAdapterName } from './socket-app.js';

/** What the parent process asks for: which gateway, over which adapter. */
export interface ConnectOutageArgs {
  gateway: 'notes' | 'sample';
  sockets: SocketAdapterName;
}

const args = JSON.parse(process.argv[2]!) as ConnectOutageArgs;
const gateways: Record<ConnectOutageArgs['gateway'], Type> = {
  notes: NotesGateway,
  sample: LiveNotesGateway,
};
const { cache, state } = switchableCache();
const t = await startSocketApp(
  'express',
  args.sockets,
  { store: cache, csrf: { guard: false } },
  gateways[args.gateway],
);
state.down = true;
// A well-formed session id, so that the handshake's session is looked up in the store.
const socket = await t.connect({ cookie: `sid=${'a'.repeat(43)}` });
const exception = await socket.next('exception');
await t.close();
process.send?.({ exception });
