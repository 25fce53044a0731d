import type { Server } from 'node:http';
import fc from 'fast-check';
import { HardeningController } from '../support/controllers/hardening-controller.js';
import { asHeaderValue, mayCarryWellFormedSid } from '../support/http/hardening-cookie-oracle.js';
import { memoryStore } from '../support/stores/hardening-stores.js';
import { ADAPTERS, createTestApp, sidOf, type TestApp } from '../support/apps/test-app.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const idChar = fc.constantFrom(...ID_ALPHABET);
const wellFormed = fc.string({ unit: idChar, minLength: 43, maxLength: 43 });
const wrongLength = fc
  .string({ unit: idChar, maxLength: 120 })
  .filter((value) => value.length !== 43);
const percentEncoded = (value: string) =>
  [...value].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
const brokenEscapes = fc
  .array(fc.constantFrom('%', '%2', '%zz', '%E0%A4%A', '%00', '%FF', '%C0%AF', 'A', '_'), {
    maxLength: 60,
  })
  .map((parts) => parts.join(''));
const cookieName = fc.constantFrom('sid', 'SID', ' sid', 'sid ', 'sid2', 's id', 'other', '');
const anyValue = fc.oneof(wellFormed, wrongLength, fc.string(), fc.string({ unit: 'binary' }));

/** Cookie headers from the plainly random to the nearly valid. */
const cookieHeader = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  wrongLength.map((value) => `sid=${value}`),
  fc.tuple(wellFormed, wellFormed).map(([a, b]) => `sid=${a}; sid=${b}`),
  fc.tuple(fc.string(), wellFormed).map(([other, a]) => `${other}; sid=${a}; x=1; sid=${a}`),
  wellFormed.map((value) => `sid=${percentEncoded(value)}`),
  wellFormed.map((value) => `sid="${value}"`),
  brokenEscapes.map((value) => `sid=${value}`),
  fc.string({ unit: 'binary' }).map((value) => `sid=${value}`),
  fc.string({ unit: 'binary' }).map((value) => `sid=${encodeURIComponent(value)}`),
  fc
    .array(fc.tuple(cookieName, anyValue), { maxLength: 8 })
    .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; ')),
  fc
    .tuple(fc.integer({ min: 0, max: 20_000 }), wellFormed, fc.boolean())
    .map(([n, id, withSid]) => `pad=${'a'.repeat(n)}${withSid ? `; sid=${id}` : ''}`),
  fc.integer({ min: 0, max: 20_000 }).map((n) => `sid=${'A'.repeat(n)}`),
);

describe.each(ADAPTERS)('fuzzed Cookie headers (%s)', (adapter) => {
  const store = memoryStore();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(adapter, { store: store.cache }, [HardeningController]);
    // Let 20 kB headers reach the app instead of Node's 431, so the library has to cope.
    (t.app.getHttpServer() as Server & { maxHeaderSize: number }).maxHeaderSize = 64 * 1024;
  });
  afterAll(() => t.close());

  it('a 20 kB header reaches the app', async () => {
    await t
      .http()
      .get('/get')
      .query({ seg: 'S', key: 'k' })
      .set('Cookie', `pad=${'a'.repeat(20_000)}`)
      .expect(200);
  });

  const readWith = async (header: string) => {
    store.calls.reset();
    const res = await t
      .http()
      .get('/get')
      .query({ seg: 'S', key: 'k' })
      .set('Cookie', header)
      .expect(200);
    expect(res.body).toEqual({ found: false, value: null });
    return store.calls.get;
  };
  const ids = fc.sample(wellFormed, { numRuns: 2, seed: 42 });

  it('a 20 kB header finds its session, which a write keeps', async () => {
    const sid = sidOf(
      await t.http().get('/put').query({ seg: 'S', key: 'k', value: '7' }).expect(200),
    )!;
    const header = `pad=${'a'.repeat(20_000)}; sid=${sid}`;
    const read = await t.http().get('/get').query({ seg: 'S', key: 'k' }).set('Cookie', header);
    expect(read.body).toEqual({ found: true, value: 7 });
    const write = await t
      .http()
      .get('/put')
      .query({ seg: 'S', key: 'k', value: '8' })
      .set('Cookie', header)
      .expect(200);
    expect(sidOf(write)).toBeUndefined();
  });

  it('a single well-formed sid costs one store read (the counter sees it)', async () => {
    expect(await readWith(`a=1; sid=${ids[0]}; b=2`)).toBe(1);
  });

  it.each([
    ['two different sids', `sid=${ids[0]}; sid=${ids[1]}`],
    ['the same sid twice', `sid=${ids[0]}; sid=${ids[0]}`],
    ['a 42-character sid', `sid=${ids[0]!.slice(1)}`],
    ['a 44-character sid', `sid=${ids[0]}A`],
    ['a sid with a character outside base64url', `sid=${ids[0]!.slice(1)}+`],
  ])('%s is no session, without a store call', async (_what, header) => {
    expect(await readWith(header)).toBe(0);
  });

  it('never answer 5xx and never reach the store for a malformed id', async () => {
    await fc.assert(
      fc.asyncProperty(cookieHeader, async (raw) => {
        const header = asHeaderValue(raw);
        const allowed = mayCarryWellFormedSid(header);

        store.calls.reset();
        const read = await t.http().get('/get').query({ seg: 'S', key: 'k' }).set('Cookie', header);
        expect(read.status).toBe(200);
        expect(read.body).toEqual({ found: false, value: null });
        expect(read.headers['set-cookie']).toBeUndefined();
        expect(store.calls.set + store.calls.delete).toBe(0);
        expect(store.calls.get).toBeLessThanOrEqual(allowed ? 1 : 0);

        store.calls.reset();
        const write = await t
          .http()
          .get('/put')
          .query({ seg: 'S', key: 'k', value: '1' })
          .set('Cookie', header);
        expect(write.status).toBe(200);
        const issued = sidOf(write);
        expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(header).not.toContain(issued);
        expect(store.calls.get).toBeLessThanOrEqual(allowed ? 1 : 0);
        expect(store.calls.set).toBe(1);
      }),
      { numRuns: 150 },
    );
  });
});
