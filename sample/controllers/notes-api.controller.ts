import { Controller, HttpCode, Post } from '@nestjs/common';
import { Segment } from '../../src/index.js';
import { NOTES_SEGMENT, type NotesData } from '../segments.js';

/** POST, so the CsrfGuard checks the x-csrf-token header the page's script sends. */
@Controller('api/notes')
export class NotesApiController {
  @Post('count')
  @HttpCode(200)
  async count(@Segment(NOTES_SEGMENT) notes: Segment<NotesData>): Promise<{ count: number }> {
    return { count: ((await notes.get('items')) ?? []).length };
  }
}
