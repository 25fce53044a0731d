import { Controller, Get, Query } from '@nestjs/common';
import { Session, SessionManager, SessionRegistry } from '../../../src/index.js';
import { gate } from '../timing/hardening-sync.js';

/**
 * A user's sessions driven by the query string: log in (regenerate and bind), list, sign out one
 * or all others. GET routes, so a test needs no CSRF token.
 */
@Controller('users')
export class RegistryController {
  constructor(private readonly registry: SessionRegistry) {}

  /** `regenerateId()` then `bindUser(user)`, as a login does; `order=bind-first` the other way. */
  @Get('login')
  async login(
    @Session() session: SessionManager,
    @Query('user') user: string,
    @Query('order') order?: string,
  ) {
    if (order === 'bind-first') {
      await session.bindUser(user);
      await session.regenerateId();
    } else {
      await session.regenerateId();
      await session.bindUser(user);
    }
    await session.newSegment('Auth').set('user', user);
    return { user };
  }

  /** Binds without regenerating (to test `bindUser()` alone). */
  @Get('bind')
  async bind(@Session() session: SessionManager, @Query('user') user: string) {
    await session.bindUser(user);
    return { user };
  }

  @Get('whoami')
  async whoami(@Session() session: SessionManager) {
    return { user: (await session.getUserId()) ?? null };
  }

  @Get('list')
  async list(@Session() session: SessionManager, @Query('user') user?: string) {
    const userId = user ?? (await session.getUserId())!;
    return this.registry.list(userId, { current: session });
  }

  @Get('revoke')
  async revoke(@Query('user') user: string, @Query('handle') handle: string) {
    return { revoked: await this.registry.revoke(user, handle) };
  }

  /** Signs out the user's other sessions; `password=1` regenerates the id first (the recipe). */
  @Get('revoke-others')
  async revokeOthers(@Session() session: SessionManager, @Query('password') password?: string) {
    if (password) await session.regenerateId();
    const user = (await session.getUserId())!;
    return { revoked: await this.registry.revokeAll(user, { except: session }) };
  }

  @Get('revoke-all')
  async revokeAll(@Query('user') user: string) {
    return { revoked: await this.registry.revokeAll(user) };
  }

  @Get('regen')
  async regen(@Session() session: SessionManager) {
    await session.regenerateId();
    return { ok: true };
  }

  /** Loads the session, waits at the gate `gate`, then regenerates its id. */
  @Get('regen-gated')
  async regenGated(@Session() session: SessionManager, @Query('gate') gateName: string) {
    await session.resume();
    await gate(gateName).pass();
    await session.regenerateId();
    return { ok: true };
  }

  @Get('clear')
  async clear(@Session() session: SessionManager) {
    await session.clear();
    return { ok: true };
  }

  @Get('logout')
  async logout(@Session() session: SessionManager) {
    await session.destroy();
    return { ok: true };
  }

  /** Sets `S.key`; with `gate=<name>` it loads first and waits at the gate before writing. */
  @Get('put')
  async put(
    @Session() session: SessionManager,
    @Query('key') key: string,
    @Query('gate') gateName?: string,
  ) {
    const segment = session.newSegment('S');
    await segment.get(key);
    if (gateName) await gate(gateName).pass();
    await segment.set(key, 1);
    return { ok: true };
  }

  /** What the session holds: the `Auth` and `S` segments; `null` without a session. */
  @Get('read')
  async read(@Session() session: SessionManager) {
    if (!(await session.resume())) return { session: null };
    return {
      session: {
        user: await session.newSegment('Auth').get('user'),
        s: await session.newSegment('S').getAll(),
      },
    };
  }

  /** Touches nothing. */
  @Get('ping')
  ping() {
    return 'pong';
  }
}
