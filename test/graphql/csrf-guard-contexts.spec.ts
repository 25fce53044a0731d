import type { ExecutionContext, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CsrfGuard, SessionModule, SkipCsrf } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';

class Handlers {
  run(): void {}
  @SkipCsrf()
  exempt(): void {}
}

/** An execution context as Nest builds one, for a handler of `type` called with `args`. */
function contextOf(
  type: string,
  args: unknown[],
  handler: keyof Handlers = 'run',
): ExecutionContext {
  return {
    getType: () => type,
    getArgs: () => args,
    getArgByIndex: (index: number) => args[index],
    getClass: () => Handlers as Type,
    getHandler: () => Handlers.prototype[handler],
    switchToHttp: () => ({
      getRequest: () => args[0],
      getResponse: () => args[1],
      getNext: () => args[2],
    }),
    switchToWs: () => ({ getClient: () => args[0], getData: () => args[1], getPattern: () => '' }),
    switchToRpc: () => ({ getData: () => args[0], getContext: () => args[1] }),
  } as unknown as ExecutionContext;
}

const info = (operation: string) => ({ operation: { operation } });
const graphqlRequest = (method: string) => ({
  method,
  headers: { host: '127.0.0.1', cookie: 'sid=whatever' },
  protocol: 'http',
  secure: false,
});

/** The HTTP request that opened a WebSocket: what Mercurius hands a subscription's resolvers. */
const handshake = () => ({
  method: 'GET',
  headers: {
    host: '127.0.0.1',
    cookie: 'sid=whatever',
    connection: 'Upgrade',
    upgrade: 'websocket',
  },
  protocol: 'http',
  secure: false,
});

describe('CsrfGuard on contexts other than HTTP controllers', () => {
  const { cache, calls } = countingCache();
  let guard: CsrfGuard;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ store: cache })],
    }).compile();
    guard = moduleRef.get(CsrfGuard);
  });
  beforeEach(() => calls.reset());

  const refusalOf = async (context: ExecutionContext) => {
    try {
      await guard.canActivate(context);
    } catch (error) {
      return {
        message: (error as Error).message,
        extensions: (error as { extensions?: unknown }).extensions,
      };
    }
    return undefined;
  };

  it('refuses a GraphQL mutation sent with GET, before any store call', async () => {
    const context = contextOf('graphql', [
      {},
      {},
      { req: graphqlRequest('GET') },
      info('mutation'),
    ]);
    expect(await refusalOf(context)).toEqual({
      message: expect.any(String),
      extensions: { code: 'FORBIDDEN', reason: 'csrf_method_not_allowed' },
    });
    expect(calls.total()).toBe(0);
  });

  it('refuses a GraphQL mutation with no HTTP request behind it', async () => {
    const context = contextOf('graphql', [{}, {}, { connectionParams: {} }, info('mutation')]);
    expect((await refusalOf(context))?.extensions).toEqual({
      code: 'FORBIDDEN',
      reason: 'csrf_cross_site',
    });
  });

  it.each([
    ["Apollo's graphql-ws context in place of the request", { req: { connectionParams: {} } }],
    ["Mercurius's stand-in reply around the handshake", { reply: { request: handshake() } }],
    ['the handshake as the request', { req: handshake() }],
  ])(
    'refuses a mutation over WebSocket (%s) with csrf_cross_site, before any store call',
    async (_, gql) => {
      const context = contextOf('graphql', [{}, {}, gql, info('mutation')]);
      expect((await refusalOf(context))?.extensions).toEqual({
        code: 'FORBIDDEN',
        reason: 'csrf_cross_site',
      });
      expect(calls.total()).toBe(0);
    },
  );

  it("lets a @SkipCsrf() resolver's mutation through", async () => {
    const context = contextOf(
      'graphql',
      [{}, {}, { req: graphqlRequest('GET') }, info('mutation')],
      'exempt',
    );
    expect(await guard.canActivate(context)).toBe(true);
  });

  it('lets queries, WebSocket messages and RPC calls through synchronously, with no store call', () => {
    const query = contextOf('graphql', [{}, {}, { req: graphqlRequest('GET') }, info('query')]);
    expect(guard.canActivate(query)).toBe(true);
    expect(guard.canActivate(contextOf('ws', [{}, 'data']))).toBe(true);
    expect(guard.canActivate(contextOf('rpc', ['data', {}]))).toBe(true);
    expect(calls.total()).toBe(0);
  });
});

describe('a CsrfGuard made with new CsrfGuard(), in no app with SessionModule', () => {
  const guard = new CsrfGuard();

  it('says that SessionModule is missing when it has a request to check', async () => {
    const post = contextOf('http', [{ method: 'POST', headers: {} }, {}]);
    expect(() => guard.canActivate(post)).toThrow(/import SessionModule\.forRoot\(\)/);
    const mutation = contextOf('graphql', [
      {},
      {},
      { req: graphqlRequest('POST') },
      info('mutation'),
    ]);
    await expect(guard.canActivate(mutation)).rejects.toThrow(/import SessionModule\.forRoot\(\)/);
  });

  it('still refuses a mutation with no HTTP request behind it, and lets the rest through', async () => {
    const overSocket = contextOf('graphql', [{}, {}, { connectionParams: {} }, info('mutation')]);
    await expect(guard.canActivate(overSocket)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN', reason: 'csrf_cross_site' },
    });
    const query = contextOf('graphql', [{}, {}, { req: graphqlRequest('GET') }, info('query')]);
    expect(guard.canActivate(query)).toBe(true);
    expect(guard.canActivate(contextOf('ws', [{}, 'data']))).toBe(true);
    expect(guard.canActivate(contextOf('rpc', ['data', {}]))).toBe(true);
  });
});
