import { Controller, Get, Param, Post } from '@nestjs/common';
import { Segment, Session, SessionManager } from '../../../src/index.js';

/** The one segment the storage tests read and write. */
export const STORAGE_SEGMENT = 'Storage\\Test';

type StorageValues = { value: string };

/**
 * Routes the storage tests drive: writes and reads of one segment value, a flash value, the CSRF
 * token, id regeneration, destroy, and a route that never touches the session.
 */
@Controller()
export class StorageController {
  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @Get('put/:value')
  async put(@Segment(STORAGE_SEGMENT) seg: Segment<StorageValues>, @Param('value') value: string) {
    await seg.set('value', value);
    return { value };
  }

  @Get('get')
  async get(@Segment(STORAGE_SEGMENT) seg: Segment<StorageValues>) {
    return { value: (await seg.get('value')) ?? null };
  }

  @Get('flash/:message')
  async setFlash(@Segment(STORAGE_SEGMENT) seg: Segment, @Param('message') message: string) {
    await seg.setFlash('message', message);
    return { ok: true };
  }

  @Get('flash')
  async getFlash(@Segment(STORAGE_SEGMENT) seg: Segment) {
    return { message: (await seg.getFlash('message')) ?? null };
  }

  @Get('token')
  async token(@Session() session: SessionManager) {
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Post('post')
  post() {
    return { ok: true };
  }

  @Get('regenerate')
  async regenerate(@Session() session: SessionManager) {
    await session.regenerateId();
    return { ok: true };
  }

  @Get('destroy')
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }
}
