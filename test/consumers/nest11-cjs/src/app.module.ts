import { Module } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { SessionModule } from 'nest-aura-session';
import { CounterController } from './counter.controller';

// The app hands its own cache-manager instance (in-memory Keyv store) to the library, so the
// CommonJS build is exercised with a store created on the app's side of the require() graph.
@Module({
  imports: [SessionModule.forRootAsync({ useFactory: () => ({ store: createCache() }) })],
  controllers: [CounterController],
})
export class AppModule {}
