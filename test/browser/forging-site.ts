import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgingSite {
  url: string;
  /** A page that opens a socket.io connection to the sample and shows what it got in its title. */
  socketUrl: string;
  close(): Promise<void>;
}

/**
 * Another origin whose page posts a note to the sample as soon as it loads, the way a malicious
 * site would: the browser sends the victim's session cookie along, but no valid CSRF token. Its
 * `/socket` page tries to read the victim's notes over the sample's socket.io endpoint instead.
 */
export async function startForgingSite(target: string): Promise<ForgingSite> {
  const page = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Another site</title></head>
  <body>
    <form method="post" action="${target}">
      <input name="text" value="forged note" />
      <input name="__csrf_value" value="forged-token" />
    </form>
    <script>document.forms[0].submit();</script>
  </body>
</html>`;
  const sample = new URL(target).origin;
  const socketPage = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>connecting</title></head>
  <body>
    <script src="${sample}/socket.io/socket.io.js"></script>
    <script>
      const socket = io('${sample}', { transports: ['websocket'] });
      socket.on('notes', (notes) => { document.title = 'notes: ' + JSON.stringify(notes); });
      socket.on('signed-out', () => { document.title = 'signed out'; });
    </script>
  </body>
</html>`;
  const server: Server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.url === '/socket' ? socketPage : page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    socketUrl: `http://127.0.0.1:${port}/socket`,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}
