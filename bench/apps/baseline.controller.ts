import { Controller, Get } from '@nestjs/common';
import { UNTOUCHED_BODY, type CounterBody } from './counter.js';

/** The same routes without any session: the throughput ceiling of the bare Nest app. */
@Controller()
export class BaselineController {
  @Get('untouched')
  untouched(): typeof UNTOUCHED_BODY {
    return UNTOUCHED_BODY;
  }

  @Get('read')
  read(): CounterBody {
    return { counter: 0 };
  }

  @Get('write')
  write(): CounterBody {
    return { counter: 1 };
  }
}
