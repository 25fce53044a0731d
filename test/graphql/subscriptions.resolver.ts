import { Resolver, Subscription } from '@nestjs/graphql';
import { Segment, SessionManager } from '../../src/index.js';

type Account = { user: string };

async function* once(value: string): AsyncGenerator<string> {
  yield value;
}

/** Subscriptions that read and write the session through the parameter decorators. */
@Resolver()
export class SubscriptionsResolver {
  @Subscription(() => String, { nullable: true, resolve: (value: string) => value })
  async whoSubscribes(@Segment('account') account: Segment<Account>): Promise<AsyncGenerator> {
    return once((await account.get('user')) ?? 'nobody');
  }

  @Subscription(() => String, { resolve: (value: string) => value })
  async renameOnSubscribe(
    @Segment('account') account: Segment<Account>,
  ): Promise<AsyncGenerator<string>> {
    await account.set('user', 'renamed over the socket');
    return once('renamed');
  }
}

/** A subscription that gets the session by injection (which makes the resolver request-scoped). */
@Resolver()
export class InjectedSubscriptionResolver {
  constructor(private readonly session: SessionManager) {}

  @Subscription(() => String, { nullable: true, resolve: (value: string) => value })
  async whoSubscribesInjected(): Promise<AsyncGenerator<string>> {
    const user = await this.session.newSegment<Account>('account').get('user');
    return once(user ?? 'nobody');
  }
}
