import { Module, type DynamicModule } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { SessionModule } from '../src/index.js';
import { AuthController } from './controllers/auth.controller.js';
import { HomeController } from './controllers/home.controller.js';
import { NotesApiController } from './controllers/notes-api.controller.js';
import { NotesController } from './controllers/notes.controller.js';
import { SessionsController } from './controllers/sessions.controller.js';
import { LiveNotesGateway } from './live-notes.gateway.js';
import { SAMPLE_STORE, StoreShutdown } from './store-shutdown.js';

@Module({})
export class AppModule {
  /** Without a store the library's bounded in-memory default is used. */
  static register(store?: Cache): DynamicModule {
    return {
      module: AppModule,
      imports: [SessionModule.forRoot(store ? { store } : {})],
      controllers: [
        HomeController,
        AuthController,
        NotesController,
        NotesApiController,
        SessionsController,
      ],
      providers: [
        { provide: SAMPLE_STORE, useValue: store ?? null },
        StoreShutdown,
        LiveNotesGateway,
      ],
    };
  }
}
