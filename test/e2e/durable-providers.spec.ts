import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Query, Scope } from '@nestjs/common';
import {
  ContextIdFactory,
  type ContextId,
  type ContextIdStrategy,
  type HostComponentInfo,
} from '@nestjs/core';
import { Segment, SessionManager } from '../../src/index.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

/** Nest's "Durable providers" recipe: one durable sub-tree per tenant, named by a header. */
class TenantStrategy implements ContextIdStrategy {
  private readonly tenants = new Map<string, ContextId>();

  /** `withPayload: false`: the recipe's variant that hands durable providers no payload. */
  constructor(private readonly withPayload = true) {}

  attach(contextId: ContextId, request: { headers: Record<string, unknown> }) {
    const tenant = String(request.headers['x-tenant'] ?? 'none');
    let tenantTree = this.tenants.get(tenant);
    if (!tenantTree) {
      tenantTree = ContextIdFactory.create();
      this.tenants.set(tenant, tenantTree);
    }
    const resolve = (info: HostComponentInfo) => (info.isTreeDurable ? tenantTree : contextId);
    return this.withPayload ? { resolve, payload: { tenant } } : resolve;
  }
}

/** A durable provider: built once per tenant, so its `REQUEST` is the strategy's payload. */
@Injectable({ scope: Scope.REQUEST, durable: true })
class TenantCart {
  constructor(readonly session: SessionManager) {}
}

@Controller('durable')
class CounterController {
  /** Stores `name` in a new session; answers the name of the cookie's session. */
  @Get('me')
  async me(@Segment('App\\Me') me: Segment<{ name: string }>, @Query('name') name?: string) {
    if (name !== undefined) await me.set('name', name);
    return { name: await me.get('name') };
  }
}

@Controller('durable-cart')
class CartController {
  constructor(private readonly cart: TenantCart) {}

  @Get()
  started() {
    return { started: this.cart.session.isStarted() };
  }
}

describe.each(ADAPTERS)('an app with durable providers (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    ContextIdFactory.apply(new TenantStrategy());
    t = await createTestApp(
      adapter,
      { csrf: false },
      [CounterController, CartController],
      [TenantCart],
    );
  });
  afterAll(async () => {
    ContextIdFactory.apply(undefined as unknown as ContextIdStrategy);
    await t?.close();
  });

  it("keeps each client's session its own within one tenant, however the requests interleave", async () => {
    const signIn = async (name: string) =>
      `sid=${sidOf(await t.http().get(`/durable/me?name=${name}`).set('X-Tenant', 'acme'))!}`;
    const cookies = { ada: await signIn('ada'), bob: await signIn('bob') };
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const name = i % 2 ? 'ada' : 'bob';
        const res = await t
          .http()
          .get('/durable/me')
          .set('X-Tenant', 'acme')
          .set('Cookie', cookies[name]);
        return [name, res.body.name];
      }),
    );
    for (const [name, answered] of answers) expect(answered).toBe(name);
  });

  it('refuses a SessionManager injected into a durable provider, saying what to do instead', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await t.http().get('/durable-cart').set('X-Tenant', 'acme').expect(500);
      expect(logged.mock.calls.flat().join('\n')).toMatch(
        /A durable provider \(a ContextIdStrategy\) is handed its strategy's payload instead of the request: take the session with @Session\(\)/,
      );
    } finally {
      logged.mockRestore();
    }
  });

  it('says the same of a strategy that gives durable providers no payload', async () => {
    ContextIdFactory.apply(new TenantStrategy(false));
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await t.http().get('/durable-cart').set('X-Tenant', 'acme').expect(500);
      expect(logged.mock.calls.flat().join('\n')).toMatch(
        /or a durable provider whose ContextIdStrategy gives no payload/,
      );
    } finally {
      logged.mockRestore();
      ContextIdFactory.apply(new TenantStrategy());
    }
  });
});
