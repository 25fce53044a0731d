import {
  Controller,
  Get,
  Module,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { SessionRuntime } from '../../src/core/session-runtime.js';
import { Session, SessionManager, SessionModule } from '../../src/index.js';
import { freePort } from '../support/servers/free-ports.js';
import { switchableCache } from '../support/stores/switchable-cache.js';

/**
 * A memory cache that, while `down`, fails like a Redis outage under Keyv: an `error` event and
 * no value.
 */

@Controller()
class SessionRpcController {
  constructor(private readonly runtime: SessionRuntime) {}

  /** Reads the store the sessions live in, as an admin service's RPC handler would. */
  @MessagePattern('sessions.peek')
  async peek(key: string): Promise<boolean> {
    return (await this.runtime.store.load(key)) !== undefined;
  }

  @MessagePattern('sessions.of-message')
  ofMessage(@Session() session: SessionManager): string | undefined {
    return session.getId();
  }

  @MessagePattern('ping')
  ping(): string {
    return 'pong';
  }

  @Get('health')
  health(): string {
    return 'ok';
  }
}

function clientFor(port: number): ClientProxy {
  return ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
}

const storeError = expect.objectContaining({
  status: 'error',
  reason: 'session_store_unavailable',
});

describe.each(['hybrid app (inheritAppConfig)', 'pure microservice'])(
  'RPC handlers: %s',
  (kind) => {
    const { cache, state } = switchableCache();
    let app: INestApplication | INestMicroservice;
    let client: ClientProxy;

    beforeAll(async () => {
      const port = await freePort();
      const options = { transport: Transport.TCP, options: { host: '127.0.0.1', port } } as const;
      if (kind === 'pure microservice') {
        @Module({
          imports: [SessionModule.forRoot({ store: cache })],
          controllers: [SessionRpcController],
        })
        class RpcModule {}
        app = await NestFactory.createMicroservice(RpcModule, { ...options, logger: false });
        await (app as INestMicroservice).listen();
      } else {
        const moduleRef = await Test.createTestingModule({
          imports: [SessionModule.forRoot({ store: cache })],
          controllers: [SessionRpcController],
        }).compile();
        const hybrid = moduleRef.createNestApplication({ logger: false });
        hybrid.connectMicroservice(options, { inheritAppConfig: true });
        await hybrid.startAllMicroservices();
        await hybrid.listen(0, '127.0.0.1');
        app = hybrid;
      }
      client = clientFor(port);
      await client.connect();
    });
    afterAll(async () => {
      await client.close();
      await app.close();
    });
    afterEach(() => {
      state.down = false;
    });

    it('passes RPC calls through the global guard', async () => {
      await expect(firstValueFrom(client.send('ping', {}))).resolves.toBe('pong');
    });

    it('answers a store failure in a handler with an RPC error, and keeps serving', async () => {
      state.down = true;
      await expect(firstValueFrom(client.send('sessions.peek', 'sess:x'))).rejects.toEqual(
        storeError,
      );
      state.down = false;
      await expect(firstValueFrom(client.send('sessions.peek', 'sess:x'))).resolves.toBe(false);
      await expect(firstValueFrom(client.send('ping', {}))).resolves.toBe('pong');
    });

    it('answers @Session() in an RPC handler with an RPC error (RPC messages carry no session)', async () => {
      await expect(firstValueFrom(client.send('sessions.of-message', {}))).rejects.toEqual(
        expect.objectContaining({ status: 'error' }),
      );
      await expect(firstValueFrom(client.send('ping', {}))).resolves.toBe('pong');
    });
  },
);
