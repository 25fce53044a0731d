import WebSocket from 'ws';

/** What the server answered to one operation sent over graphql-transport-ws. */
export interface WsOutcome {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

interface WsMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/**
 * Opens a graphql-transport-ws socket to `url` with the handshake `headers` (a browser sends its
 * cookie and its page's `Origin`), runs `query` and answers its first result, closing the socket.
 */
export function runOverWebSocket(
  url: string,
  headers: Record<string, string>,
  query: string,
): Promise<WsOutcome> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
  return new Promise<WsOutcome>((resolve, reject) => {
    const settle = (outcome: WsOutcome | Error): void => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.on('error', settle);
    socket.on('close', (code, reason) =>
      settle(new Error(`Socket closed (${code} ${String(reason)}) before a result`)),
    );
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as WsMessage;
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      } else if (message.type === 'next') {
        settle(message.payload as WsOutcome);
      } else if (message.type === 'error') {
        settle({ errors: message.payload as WsOutcome['errors'] });
      }
    });
  });
}
