import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { Type } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { SessionModule, type SessionModuleOptions } from '../../src/index.js';
import { listenOnLoopback, type ListeningTestApp } from '../support/apps/test-app.js';
import { isApollo, type GraphqlSetup } from './graphql-setups.js';

/** A running GraphQL app listening on 127.0.0.1, so its own origin is known. */
export type GraphqlApp = ListeningTestApp;

/** Schema-first: the schema as SDL, resolved by `@Resolver()` classes naming its fields. */
export interface SchemaFirst {
  typeDefs: string;
}

/** Transports a test turns on beyond a single operation per HTTP request. */
export interface GraphqlTransports {
  /** Operations over WebSocket (graphql-transport-ws): subscriptions, and queries and mutations. */
  webSocket?: boolean;
  /** Batched HTTP requests: a JSON array of operations in one request. */
  batching?: boolean;
}

export async function startGraphqlApp(
  setup: GraphqlSetup,
  options: SessionModuleOptions,
  resolvers: Type[],
  schemaFirst?: SchemaFirst,
  transports: GraphqlTransports = {},
): Promise<GraphqlApp> {
  const schema = schemaFirst ? { typeDefs: schemaFirst.typeDefs } : { autoSchemaFile: true };
  const graphql = isApollo(setup)
    ? GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        ...schema,
        csrfPrevention: setup.csrfPrevention,
        playground: false,
        includeStacktraceInErrorResponses: false,
        ...(transports.webSocket && { subscriptions: { 'graphql-ws': true } }),
        ...(transports.batching && { allowBatchedHttpRequests: true }),
      })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        ...schema,
        graphiql: false,
        ...(transports.webSocket && { subscription: { fullWsTransport: true } }),
        ...(transports.batching && { allowBatchedQueries: true }),
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
  return listenOnLoopback(app);
}
