import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Segment as SessionSegment } from '../core/segment.js';
import { sessionFromContext } from './session.decorator.js';

/**
 * A named session segment (see `SessionManager.newSegment`).
 * @interface
 */
export type Segment<T extends object = Record<string, unknown>> = SessionSegment<T>;

/**
 * Hands a handler the session segment called `name`:
 * `add(@Segment('App\\Notes') notes: Segment<{ items: string[] }>)`. Lazy: nothing is loaded
 * until a method of the segment is called. Works in controllers, GraphQL resolvers and
 * `@SubscribeMessage` handlers.
 */
export const Segment: (name: string) => ParameterDecorator = createParamDecorator(
  (name: unknown, context: ExecutionContext) => {
    if (typeof name !== 'string') {
      throw new TypeError('@Segment(name) needs the segment name as a string');
    }
    return sessionFromContext(context).newSegment(name);
  },
);
