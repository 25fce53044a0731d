import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import fc from 'fast-check';
import { Session, SessionManager } from '../../src/index.js';
import { memoryStore } from '../support/stores/hardening-stores.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

interface Entry {
  segment: string;
  key: string;
  /** The value as JSON text, so no body parser ever sees its keys. */
  json: string;
}

/** Writes and reads entries named by the JSON body: names and values are arbitrary. */
@Controller('rt')
class RoundTripController {
  @Post('set')
  @HttpCode(200)
  async set(@Session() session: SessionManager, @Body() body: { entries: Entry[] }) {
    for (const { segment, key, json } of body.entries) {
      await session.newSegment(segment).set(key, JSON.parse(json) as unknown);
    }
    return { ok: true };
  }

  @Post('get')
  @HttpCode(200)
  async get(@Session() session: SessionManager, @Body() body: { entries: Entry[] }) {
    const values: Array<string | null> = [];
    for (const { segment, key } of body.entries) {
      const value = await session.newSegment(segment).get(key);
      values.push(value === undefined ? null : JSON.stringify(value));
    }
    return { values };
  }

  @Post('all')
  @HttpCode(200)
  async all(@Session() session: SessionManager, @Body() body: { segment: string }) {
    return { json: JSON.stringify(await session.newSegment(body.segment).getAll()) };
  }
}

const name = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'App\\Auth', 'a.b', '0', '-1'),
);
const entry = fc.record({ segment: name, key: name, value: fc.jsonValue({ maxDepth: 4 }) });

/** JSON turns -0 into 0 and drops nothing else a JSON value can hold. */
const normalised = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe.each(ADAPTERS)('arbitrary names and JSON values round-trip (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(
      adapter,
      { store: memoryStore().cache, csrf: false, maxSize: 4 * 1024 * 1024 },
      [RoundTripController],
    );
  });
  afterAll(() => t.close());

  it('a value set in one request reads back equal in a later one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 3 }), async (generated) => {
        const entries = generated.map(({ segment, key, value }) => ({
          segment,
          key,
          json: JSON.stringify(value),
        }));
        const set = await t.http().post('/rt/set').send({ entries }).expect(200);
        const sid = sidOf(set);
        expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);

        // Later writes to the same segment and key win, as in the request itself.
        const expected = new Map<string, unknown>();
        for (const { segment, key, value } of generated) {
          expected.set(JSON.stringify([segment, key]), normalised(value));
        }
        const got = await t
          .http()
          .post('/rt/get')
          .set('Cookie', `sid=${sid}`)
          .send({ entries })
          .expect(200);
        const values = (got.body.values as Array<string | null>).map((json) =>
          json === null ? undefined : (JSON.parse(json) as unknown),
        );
        expect(values).toEqual(
          generated.map(({ segment, key }) => expected.get(JSON.stringify([segment, key]))),
        );

        const { segment } = generated[0]!;
        const all = await t
          .http()
          .post('/rt/all')
          .set('Cookie', `sid=${sid}`)
          .send({ segment })
          .expect(200);
        const stored = Object.entries(JSON.parse(all.body.json as string) as object);
        const wanted = [...expected]
          .map(([at, value]) => [JSON.parse(at) as [string, string], value] as const)
          // getAll leaves a __proto__ key out (get reads it, checked above).
          .filter(([[seg, key]]) => seg === segment && key !== '__proto__')
          .map(([[, key], value]) => [key, value]);
        expect(sortByKey(stored)).toEqual(sortByKey(wanted));
      }),
      { numRuns: 120 },
    );
  });
});

function sortByKey<T extends readonly unknown[]>(pairs: T[]): T[] {
  return [...pairs].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
}
