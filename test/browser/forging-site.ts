import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgingSite {
  url: string;
  close(): Promise<void>;
}

/**
 * Another origin whose page posts a note to the sample as soon as it loads, the way a malicious
 * site would: the browser sends the victim's session cookie along, but no valid CSRF token.
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
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}
