import { Controller, Get, Query } from '@nestjs/common';
import { Session, SessionManager } from '../../../src/index.js';
import { Barrier, gate } from '../timing/hardening-sync.js';

/** Requests sent with `barrier=1` wait here until the armed number of them has arrived. */
export const barrier = new Barrier();

/**
 * Session operations driven by the query string, so a test can aim many concurrent requests at
 * one session. `value` is JSON text. With `barrier=1` or `gate=<name>` the handler loads the
 * session first and then waits, so its commit comes after other requests changed the store.
 */
@Controller()
export class HardeningController {
  @Get('put')
  async put(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
    @Query('value') value: string,
    @Query('barrier') atBarrier?: string,
    @Query('gate') gateName?: string,
  ) {
    const segment = session.newSegment(seg);
    await segment.get(key);
    await hold(atBarrier, gateName);
    await segment.set(key, JSON.parse(value) as unknown);
    return { id: session.getId() };
  }

  @Get('remove')
  async remove(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
    @Query('barrier') atBarrier?: string,
  ) {
    const segment = session.newSegment(seg);
    await segment.get(key);
    await hold(atBarrier, undefined);
    await segment.remove(key);
    return { id: session.getId() };
  }

  /** Sets keys `k0`..`k<n-1>` of `seg` to their index. */
  @Get('put-many')
  async putMany(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('n') n: string,
  ) {
    const segment = session.newSegment(seg);
    for (let i = 0; i < Number(n); i++) await segment.set(`k${i}`, i);
    return { id: session.getId() };
  }

  @Get('get')
  async get(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
  ) {
    const value = await session.newSegment(seg).get(key);
    return { found: value !== undefined, value: value ?? null };
  }

  /** `segs` is a comma-separated list; answers `[name, getAll()]` pairs. */
  @Get('all')
  async all(@Session() session: SessionManager, @Query('segs') segs: string) {
    const pairs: Array<[string, unknown]> = [];
    for (const name of segs.split(',')) pairs.push([name, await session.newSegment(name).getAll()]);
    return { id: session.getId() ?? null, pairs };
  }

  @Get('flash-set')
  async flashSet(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
    @Query('value') value: string,
  ) {
    await session.newSegment(seg).setFlash(key, JSON.parse(value) as unknown);
    return { id: session.getId() };
  }

  @Get('flash-get')
  async flashGet(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
    @Query('gate') gateName?: string,
  ) {
    const value = await session.newSegment(seg).getFlash(key);
    await hold(undefined, gateName);
    return { found: value !== undefined, value: value ?? null };
  }

  /** Reads a flash value, writes a value, then keeps the flash values it read. */
  @Get('flash-get-put-keep')
  async flashGetPutKeep(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('flash') flash: string,
    @Query('key') key: string,
    @Query('value') value: string,
  ) {
    const segment = session.newSegment(seg);
    const read = await segment.getFlash(flash);
    await segment.set(key, JSON.parse(value) as unknown);
    await segment.keepFlash();
    return { read: read ?? null };
  }

  @Get('flash-has')
  async flashHas(
    @Session() session: SessionManager,
    @Query('seg') seg: string,
    @Query('key') key: string,
  ) {
    return { has: await session.newSegment(seg).hasFlash(key) };
  }

  /** A form's token: loads the session, waits like `put`, then asks for the CSRF token. */
  @Get('csrf-token')
  async csrfToken(@Session() session: SessionManager, @Query('barrier') atBarrier?: string) {
    await session.resume();
    await hold(atBarrier, undefined);
    return { token: (await session.getCsrfToken()).getValue() };
  }

  @Get('csrf-valid')
  async csrfValid(@Session() session: SessionManager, @Query('token') token: string) {
    return { valid: await session.isCsrfTokenValid(token) };
  }

  @Get('destroy')
  async destroy(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }

  @Get('regenerate')
  async regenerate(@Session() session: SessionManager) {
    await session.regenerateId();
    return { id: session.getId() };
  }
}

async function hold(atBarrier: string | undefined, gateName: string | undefined): Promise<void> {
  if (atBarrier) await barrier.arrive();
  if (gateName) await gate(gateName).pass();
}
