import { Module } from '@nestjs/common';
import { SessionModule } from 'nest-aura-session';
import { CounterController } from './counter.controller.js';

@Module({
  imports: [SessionModule.forRoot()],
  controllers: [CounterController],
})
export class AppModule {}
