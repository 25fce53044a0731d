import { createServer, type Server } from 'node:net';

/** Listens on `port` of 127.0.0.1 (0: any free one); resolves with the server, or undefined if taken. */
function probe(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

/**
 * `count` distinct free TCP ports on 127.0.0.1. Every probe stays open until all are found: a
 * probe closed before the next one opens may hand out its port again, and two servers told the
 * same port leave one of them answering for both.
 *
 * With `companionOffset`, `port + companionOffset` is free too for each port (Redis Cluster also
 * listens on its bus port, port + 10000).
 */
export async function freePorts(count: number, companionOffset?: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= count * 20) throw new Error(`no ${count} free loopback ports found`);
      const server = await probe(0);
      if (!server) continue;
      held.push(server);
      const port = portOf(server);
      if (companionOffset !== undefined) {
        const companion = port + companionOffset <= 65535 && (await probe(port + companionOffset));
        if (!companion) continue;
        held.push(companion);
      }
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** One free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
