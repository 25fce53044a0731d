import type { INestApplication, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import WebSocket from 'ws';
import { SessionModule, type SessionModuleOptions } from '../../src/index.js';
import type { AdapterName } from '../support/apps/test-app.js';
import { AccountController, NotesGateway } from './notes.gateway.js';

export type SocketAdapterName = 'socket.io' | 'ws';

/** An app with a notes gateway on the app's HTTP server, listening on 127.0.0.1. */
export interface SocketApp {
  app: INestApplication;
  origin: string;
  http(): TestAgent;
  /** Opens a client socket with these handshake headers; resolves once connected. */
  connect(headers?: Record<string, string>): Promise<TestSocket>;
  close(): Promise<void>;
}

/** A client socket, the same over socket.io and `ws`. */
export interface TestSocket {
  send(event: string, data?: unknown): void;
  /** The data of the next `event` the server sends. */
  next(event: string): Promise<unknown>;
  close(): void;
}

export async function startSocketApp(
  http: AdapterName,
  sockets: SocketAdapterName,
  options: SessionModuleOptions,
  gateway: Type = NotesGateway,
): Promise<SocketApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers: [AccountController],
    providers: [gateway],
  }).compile();
  const app: INestApplication =
    http === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          logger: false,
        })
      : moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(sockets === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const open: TestSocket[] = [];
  return {
    app,
    origin,
    http: () => request(app.getHttpServer()),
    connect: async (headers = {}) => {
      const socket =
        sockets === 'ws' ? await connectWs(port, headers) : await connectIo(origin, headers);
      open.push(socket);
      return socket;
    },
    close: async () => {
      for (const socket of open) socket.close();
      await app.close();
    },
  };
}

/** Events already received but not yet asked for, per event name. */
class Inbox {
  private readonly queued = new Map<string, unknown[]>();
  private readonly waiting = new Map<string, Array<(data: unknown) => void>>();

  push(event: string, data: unknown): void {
    const waiter = this.waiting.get(event)?.shift();
    if (waiter) return waiter(data);
    this.queued.set(event, [...(this.queued.get(event) ?? []), data]);
  }

  next(event: string): Promise<unknown> {
    const queued = this.queued.get(event);
    if (queued?.length) return Promise.resolve(queued.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${event}" event within 5 s`)), 5_000);
      const waiters = this.waiting.get(event) ?? [];
      waiters.push((data) => {
        clearTimeout(timer);
        resolve(data);
      });
      this.waiting.set(event, waiters);
    });
  }
}

/** A socket.io client connected to `origin` over WebSocket. */
export async function connectIo(
  origin: string,
  headers: Record<string, string>,
): Promise<TestSocket> {
  const inbox = new Inbox();
  const socket: Socket = io(origin, {
    transports: ['websocket'],
    extraHeaders: headers,
    reconnection: false,
  });
  socket.onAny((event: string, data: unknown) => inbox.push(event, data));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    send: (event, data) => socket.emit(event, data),
    next: (event) => inbox.next(event),
    close: () => socket.close(),
  };
}

/** A `ws` client connected to 127.0.0.1:`port`. */
export async function connectWs(
  port: number,
  headers: Record<string, string>,
): Promise<TestSocket> {
  const inbox = new Inbox();
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { headers });
  socket.on('message', (raw) => {
    const { event, data } = JSON.parse(String(raw)) as { event: string; data: unknown };
    inbox.push(event, data);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    send: (event, data) => socket.send(JSON.stringify({ event, data })),
    next: (event) => inbox.next(event),
    close: () => socket.close(),
  };
}
