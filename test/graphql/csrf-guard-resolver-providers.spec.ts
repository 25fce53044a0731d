import './mercurius-under-jest.js';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { UseGuards, type Type } from '@nestjs/common';
import { GraphQLModule, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CsrfGuard } from '../../src/index.js';
import { listenOnLoopback, type ListeningTestApp } from '../support/apps/test-app.js';
import type { GraphqlApp } from './graphql-app.js';
import { isApollo, resultOf, SETUPS } from './graphql-setups.js';

const EVIL = 'https://evil.example';
let writes = 0;

@Resolver()
class ClassResolver {
  @Query(() => Boolean) pingA(): boolean {
    return true;
  }
  @Mutation(() => Boolean) doA(): boolean {
    writes++;
    return true;
  }
}

@Resolver()
class FactoryResolver {
  @Query(() => Boolean) pingB(): boolean {
    return true;
  }
  @Mutation(() => Boolean) doB(): boolean {
    writes++;
    return true;
  }
}

@Resolver()
class ValueResolver {
  @Query(() => Boolean) pingC(): boolean {
    return true;
  }
  @Mutation(() => Boolean) doC(): boolean {
    writes++;
    return true;
  }
}

@Resolver()
class TokenResolver {
  @Query(() => Boolean) pingD(): boolean {
    return true;
  }
  @Mutation(() => Boolean) doD(): boolean {
    writes++;
    return true;
  }
}

const PROVIDER_FORMS: Array<{ form: string; providers: unknown[]; mutation: string }> = [
  { form: 'a class provider', providers: [ClassResolver], mutation: 'doA' },
  {
    form: 'a useFactory provider',
    providers: [{ provide: FactoryResolver, useFactory: () => new FactoryResolver() }],
    mutation: 'doB',
  },
  {
    form: 'a useValue provider',
    providers: [{ provide: ValueResolver, useValue: new ValueResolver() }],
    mutation: 'doC',
  },
  {
    form: 'a factory under a string token',
    providers: [{ provide: 'TOKEN_RESOLVER', useFactory: () => new TokenResolver() }],
    mutation: 'doD',
  },
];

describe.each(SETUPS)('CSRF guard on resolvers however provided ($name)', (setup) => {
  describe.each(PROVIDER_FORMS)('$form', ({ providers, mutation }) => {
    let t: GraphqlApp;
    beforeAll(async () => {
      const { startGraphqlApp } = await import('./graphql-app.js');
      t = await startGraphqlApp(setup, {}, providers as Type[]);
    });
    afterAll(() => t.close());

    it('refuses a cross-site mutation, which does not run', async () => {
      const before = writes;
      const res = await t
        .http()
        .post('/graphql')
        .set({ Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' })
        .send({ query: `mutation { ${mutation} }` })
        .then(resultOf);
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'csrf_cross_site',
      });
      expect(writes).toBe(before);
    });
  });
});

describe.each(SETUPS)('CSRF guard in a bundle that renamed GraphQLModule ($name)', (setup) => {
  let t: GraphqlApp;
  const name = Object.getOwnPropertyDescriptor(GraphQLModule, 'name')!;
  beforeAll(async () => {
    // What a minifying bundler (terser's default) does to the class.
    Object.defineProperty(GraphQLModule, 'name', { ...name, value: 'e' });
    const { startGraphqlApp } = await import('./graphql-app.js');
    t = await startGraphqlApp(setup, {}, [ClassResolver]);
  });
  afterAll(async () => {
    Object.defineProperty(GraphQLModule, 'name', name);
    await t?.close();
  });

  it('still refuses a mutation without a token, which does not run', async () => {
    const before = writes;
    const res = await t
      .http()
      .post('/graphql')
      .set({ 'Sec-Fetch-Site': 'same-origin' })
      .send({ query: 'mutation { doA }' })
      .then(resultOf);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'csrf_token_missing',
    });
    expect(writes).toBe(before);
  });
});

@Resolver()
class HandGuardedResolver {
  @Query(() => Boolean) pingE(): boolean {
    return true;
  }
  @UseGuards(new CsrfGuard())
  @Mutation(() => Boolean)
  guardedE(): boolean {
    writes++;
    return true;
  }
  @Mutation(() => Boolean) openE(): boolean {
    writes++;
    return true;
  }
}

describe.each(SETUPS)(
  'a mutation under @UseGuards(new CsrfGuard()) with csrf.guard off ($name)',
  (setup) => {
    let t: GraphqlApp;
    beforeAll(async () => {
      const { startGraphqlApp } = await import('./graphql-app.js');
      t = await startGraphqlApp(setup, { csrf: { guard: false } }, [HandGuardedResolver]);
    });
    afterAll(() => t.close());

    const send = (mutation: string, headers: Record<string, string>) =>
      t
        .http()
        .post('/graphql')
        .set(headers)
        .send({ query: `mutation { ${mutation} }` })
        .then(resultOf);

    it('is checked with the app options: cross-site refused, same-origin without a token too', async () => {
      const before = writes;
      const crossSite = await send('guardedE', { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' });
      expect(crossSite.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'csrf_cross_site',
      });
      const noToken = await send('guardedE', { 'Sec-Fetch-Site': 'same-origin' });
      expect(noToken.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'csrf_token_missing',
      });
      expect(writes).toBe(before);
    });

    it('leaves the mutations without it unguarded', async () => {
      const before = writes;
      const res = await send('openE', { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' });
      expect(res.data).toEqual({ openE: true });
      expect(writes).toBe(before + 1);
    });
  },
);

@Resolver()
class SharedResolver {
  @Query(() => Boolean) ping(): boolean {
    return true;
  }
  @Mutation(() => Boolean) act(): boolean {
    writes++;
    return true;
  }
}

async function startWithoutSessions(setup: (typeof SETUPS)[number]): Promise<ListeningTestApp> {
  const { MercuriusDriver } = await import('@nestjs/mercurius');
  const graphql = isApollo(setup)
    ? GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        csrfPrevention: setup.csrfPrevention,
        playground: false,
      })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        autoSchemaFile: true,
        graphiql: false,
      });
  const moduleRef = await Test.createTestingModule({
    imports: [graphql],
    providers: [SharedResolver],
  }).compile();
  const app = isApollo(setup)
    ? moduleRef.createNestApplication({ logger: false })
    : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
        logger: false,
      });
  return listenOnLoopback(app);
}

describe.each(SETUPS)('One resolver class in two apps of a process ($name)', (setup) => {
  let withSessions: GraphqlApp;
  let without: ListeningTestApp;
  beforeAll(async () => {
    const { startGraphqlApp } = await import('./graphql-app.js');
    withSessions = await startGraphqlApp(setup, {}, [SharedResolver]);
    without = await startWithoutSessions(setup);
  });
  afterAll(async () => {
    await withSessions.close();
    await without.close();
  });

  it('the app with sessions refuses a mutation without a token', async () => {
    const res = await withSessions
      .http()
      .post('/graphql')
      .send({ query: 'mutation { act }' })
      .then(resultOf);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('the app without SessionModule runs it', async () => {
    const before = writes;
    const res = await without
      .http()
      .post('/graphql')
      .send({ query: 'mutation { act }' })
      .then(resultOf);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ act: true });
    expect(writes).toBe(before + 1);
  });
});
