import { jest } from '@jest/globals';
import { createRequire } from 'node:module';

// Jest's CommonJS loader cannot require an ES module, and Mercurius loads @fastify/static (for
// GraphiQL's files), which requires the ESM-only content-disposition. The tests serve no files
// (GraphiQL off), so it gets a stand-in. Import Mercurius (dynamically) only after this ran.
const resolver = createRequire(import.meta.url);
const staticPath = resolver.resolve('@fastify/static');
const contentDisposition = resolver.resolve('content-disposition', { paths: [staticPath] });
const unavailable = (): never => {
  throw new Error('content-disposition is not loaded under Jest');
};
jest.doMock(contentDisposition, () => ({ create: unavailable, parse: unavailable }));
