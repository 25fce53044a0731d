import { Module, type DynamicModule } from '@nestjs/common';
import { createClient } from 'redis';
import { SessionModule } from '../../src/index.js';
import { AuraScopedController } from './aura-scoped.controller.js';
import { auraSessionOptions } from './aura-session-options.js';
import { AuraController } from './aura.controller.js';
import { BaselineController } from './baseline.controller.js';
import { ExpressSessionController } from './express-session.controller.js';
import { FastifySessionController } from './fastify-session.controller.js';
import { HandlerShapeController } from './handler-shape.controller.js';
import { MinimalSessionController } from './minimal-session.controller.js';
import { ROUND_TRIPS_CLIENT, RoundTripsController } from './round-trips.controller.js';
import type { Variant } from './variants.js';

/** The app of every variant: the same routes, on the variant's session implementation. */
@Module({})
export class BenchModule {
  static for(variant: Variant, redisUrl: string): DynamicModule {
    switch (variant.library) {
      case 'baseline':
        return { module: BenchModule, controllers: [BaselineController] };
      case 'express-session':
        return { module: BenchModule, controllers: [ExpressSessionController] };
      case '@fastify/session':
        return { module: BenchModule, controllers: [FastifySessionController] };
      case 'handler-shape':
        return { module: BenchModule, controllers: [HandlerShapeController] };
      case 'minimal-layer':
        return { module: BenchModule, controllers: [MinimalSessionController] };
      case 'round-trips':
        return {
          module: BenchModule,
          controllers: [RoundTripsController],
          providers: [
            {
              provide: ROUND_TRIPS_CLIENT,
              useFactory: () => createClient({ url: redisUrl }).connect(),
            },
          ],
        };
      case 'ours':
        return {
          module: BenchModule,
          imports: [SessionModule.forRoot(auraSessionOptions(variant, redisUrl))],
          controllers: [AuraController, AuraScopedController],
        };
    }
  }
}
