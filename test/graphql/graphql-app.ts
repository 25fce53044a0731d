import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { INestApplication, Type } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { SessionModule, type SessionModuleOptions } from '../../src/index.js';
import { isApollo, type GraphqlSetup } from './graphql-setups.js';

/** A running GraphQL app listening on 127.0.0.1, so its own origin is known. */
export interface GraphqlApp {
  app: INestApplication;
  origin: string;
  http(): TestAgent;
  close(): Promise<void>;
}

/** Schema-first: the schema as SDL, resolved by `@Resolver()` classes naming its fields. */
export interface SchemaFirst {
  typeDefs: string;
}

export async function startGraphqlApp(
  setup: GraphqlSetup,
  options: SessionModuleOptions,
  resolvers: Type[],
  schemaFirst?: SchemaFirst,
): Promise<GraphqlApp> {
  const schema = schemaFirst ? { typeDefs: schemaFirst.typeDefs } : { autoSchemaFile: true };
  const graphql = isApollo(setup)
    ? GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        ...schema,
        csrfPrevention: setup.csrfPrevention,
        playground: false,
        includeStacktraceInErrorResponses: false,
      })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        ...schema,
        graphiql: false,
      });
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options), graphql],
    providers: resolvers,
  }).compile();
  const app = isApollo(setup)
    ? moduleRef.createNestApplication({ logger: false })
    : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
        logger: false,
      });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}
