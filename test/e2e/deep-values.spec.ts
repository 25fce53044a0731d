import { Controller, Get, Query } from '@nestjs/common';
import { Segment } from '../../src/index.js';
import { countingCache } from '../support/stores/counting-cache.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

/** `levels` objects each holding the next one, the innermost holding `'end'`. */
function nested(levels: number): unknown {
  let value: unknown = 'end';
  for (let i = 0; i < levels; i++) value = { next: value };
  return value;
}

function depthOf(value: unknown): number {
  let depth = 0;
  for (let v = value; typeof v === 'object' && v !== null; depth++) {
    v = (v as { next: unknown }).next;
  }
  return depth;
}

@Controller('deep')
class DeepValueController {
  /** Stores a value nested `depth` levels deep with `set` or `setFlash`, answering any error. */
  @Get('store')
  async store(
    @Query('depth') depth: string,
    @Query('via') via: 'set' | 'setFlash',
    @Segment('App\\Deep') seg: Segment,
  ) {
    try {
      const tree = nested(Number(depth));
      await (via === 'set' ? seg.set('tree', tree) : seg.setFlash('tree', tree));
      return { stored: true };
    } catch (error) {
      return { stored: false, name: (error as Error).name, message: (error as Error).message };
    }
  }

  @Get('depth')
  async depth(@Segment('App\\Deep') seg: Segment) {
    return { depth: depthOf(await seg.get('tree')) };
  }
}

describe.each(ADAPTERS)('values nested very deep (%s)', (adapter) => {
  let t: TestApp;
  const { cache, calls } = countingCache();

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [DeepValueController]);
  });
  afterAll(() => t.close());
  beforeEach(() => calls.reset());

  it.each(['set', 'setFlash'])(
    '%s refuses a value nested 100 000 levels deep with a TypeError naming the key',
    async (via) => {
      const res = await t.http().get('/deep/store').query({ depth: 100_000, via }).expect(200);
      expect(res.body).toEqual({
        stored: false,
        name: 'TypeError',
        message: 'Session value for key "tree" cannot be stored: it nests deeper than 1000 levels',
      });
      expect(sidOf(res)).toBeUndefined();
      expect(calls.set).toBe(0);
    },
  );

  it('stores and reads back a value nested 1000 levels deep', async () => {
    const stored = await t.http().get('/deep/store').query({ depth: 1000, via: 'set' });
    expect(stored.body).toEqual({ stored: true });
    const res = await t
      .http()
      .get('/deep/depth')
      .set('Cookie', `sid=${sidOf(stored)!}`)
      .expect(200);
    expect(res.body).toEqual({ depth: 1000 });
  });
});
