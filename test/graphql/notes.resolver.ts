import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Segment, Session, SessionManager } from '../../src/index.js';

type Notes = { items: string[] };
type Account = { user: string };

/** Code-first resolvers reading and writing the session through the parameter decorators. */
@Resolver()
export class NotesResolver {
  @Query(() => Boolean)
  ping(): boolean {
    return true;
  }

  @Query(() => [String])
  async notes(@Segment('notes') notes: Segment<Notes>): Promise<string[]> {
    return (await notes.get('items')) ?? [];
  }

  @Query(() => String, { description: 'Issues a CSRF token, starting a session if needed.' })
  async csrfToken(@Session() session: SessionManager): Promise<string> {
    return (await session.getCsrfToken()).getValue();
  }

  @Query(() => String, { description: 'A query that writes: queries are not CSRF-checked.' })
  async visit(@Segment('visits') visits: Segment<{ count: number }>): Promise<string> {
    await visits.set('count', ((await visits.get('count')) ?? 0) + 1);
    return 'visited';
  }

  @Query(() => Int)
  async visits(@Segment('visits') visits: Segment<{ count: number }>): Promise<number> {
    return (await visits.get('count')) ?? 0;
  }

  @Mutation(() => [String])
  async addNote(
    @Args('text') text: string,
    @Segment('notes') notes: Segment<Notes>,
  ): Promise<string[]> {
    const items = [...((await notes.get('items')) ?? []), text];
    await notes.set('items', items);
    return items;
  }

  @Mutation(() => String, { description: 'Login: a new session id, sent on this response.' })
  async signIn(
    @Args('user') user: string,
    @Session() session: SessionManager,
    @Segment('account') account: Segment<Account>,
  ): Promise<string> {
    await session.regenerateId();
    await account.set('user', user);
    return user;
  }
}

/** A resolver that gets the session by injection (which makes it request-scoped). */
@Resolver()
export class InjectedResolver {
  constructor(private readonly session: SessionManager) {}

  @Query(() => String, { nullable: true })
  async whoAmI(): Promise<string | undefined> {
    return this.session.newSegment<Account>('account').get('user');
  }
}
