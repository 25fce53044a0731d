import { IntrinsicException } from '@nestjs/common';

/**
 * An error that GraphQL servers report with these `extensions`: graphql-js copies an original
 * error's `extensions` onto the GraphQL error it wraps it in (Apollo and Mercurius alike), so no
 * GraphQL package has to be loaded to build one. Intrinsic: an expected refusal, which Nest does
 * not log as a crash.
 */
export class GraphqlExtensionsError extends IntrinsicException {
  constructor(
    message: string,
    readonly extensions: { code: string; reason: string },
  ) {
    super(message);
    this.name = 'GraphqlExtensionsError';
  }
}
