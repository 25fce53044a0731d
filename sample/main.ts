import type { AddressInfo } from 'node:net';
import { createSampleApp, type SampleAdapter } from './create-app.js';

function adapterFromEnv(value = 'express'): SampleAdapter {
  if (value === 'express' || value === 'fastify') return value;
  throw new Error(`ADAPTER must be "express" or "fastify", got "${value}"`);
}

function portFromEnv(value = '3000'): number {
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  throw new Error(`PORT must be a TCP port number, got "${value}"`);
}

const adapter = adapterFromEnv(process.env.ADAPTER);
const port = portFromEnv(process.env.PORT);
const redisUrl = process.env.REDIS_URL || undefined;

const app = await createSampleApp({ adapter, redisUrl });
app.enableShutdownHooks();
// Loopback only: the sample has no real accounts and is not meant to face a network.
await app.listen(port, '127.0.0.1');
const { port: boundPort } = app.getHttpServer().address() as AddressInfo;
console.log(
  `Sample app listening on http://localhost:${boundPort} (${adapter}, ${redisUrl ? 'redis' : 'memory'})`,
);
