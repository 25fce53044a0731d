import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Segment, Session, SessionManager } from '../../src/index.js';

export const SCHEMA = `
  type Query {
    csrfToken: String!
    greeting: String
  }
  type Mutation {
    setGreeting(text: String!): String!
  }
`;

/** Schema-first resolvers: the fields come from {@link SCHEMA}, the session from the decorators. */
@Resolver()
export class GreetingResolver {
  @Query('csrfToken')
  async csrfToken(@Session() session: SessionManager): Promise<string> {
    return (await session.getCsrfToken()).getValue();
  }

  @Query('greeting')
  async greeting(
    @Segment('greeting') greeting: Segment<{ text: string }>,
  ): Promise<string | undefined> {
    return greeting.get('text');
  }

  @Mutation('setGreeting')
  async setGreeting(
    @Args('text') text: string,
    @Segment('greeting') greeting: Segment<{ text: string }>,
  ): Promise<string> {
    await greeting.set('text', text);
    return text;
  }
}
