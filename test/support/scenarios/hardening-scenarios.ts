import { barrier } from '../controllers/hardening-controller.js';
import { sidOf, type TestApp } from '../apps/test-app.js';

/** How many concurrent requests the concurrency tests aim at one session. */
export const CONCURRENT = 50;

/** Starts a session on `t` (one value in segment `Init`) and returns its id. */
export async function startSession(t: TestApp): Promise<string> {
  const res = await t.http().get('/put').query({ seg: 'Init', key: 'x', value: '1' }).expect(200);
  const sid = sidOf(res);
  if (!sid) throw new Error('no session cookie on the first write');
  return sid;
}

/**
 * Sends one `/put` per `[segment, key]` target, all at once with the same session cookie, each
 * setting the key to its own name. `pick` chooses the app that serves target `i`. Unless
 * `synchronized` is false, every handler loads the session and waits at the barrier until all
 * have, so no load sees another's commit and all commits start together.
 */
export async function putConcurrently(
  pick: (i: number) => TestApp,
  sid: string,
  targets: Array<[string, string]>,
  synchronized = true,
): Promise<Array<{ status: number; headers: Record<string, unknown> }>> {
  barrier.reset(targets.length);
  return Promise.all(
    targets.map(([seg, key], i) =>
      pick(i)
        .http()
        .get('/put')
        .query({ seg, key, value: JSON.stringify(key), ...(synchronized && { barrier: '1' }) })
        .set('Cookie', `sid=${sid}`),
    ),
  );
}

/** The values of segments `segs` as the session `sid` holds them now. */
export async function readSegments(
  t: TestApp,
  sid: string,
  segs: string[],
): Promise<Record<string, Record<string, unknown>>> {
  const res = await t
    .http()
    .get('/all')
    .query({ segs: segs.join(',') })
    .set('Cookie', `sid=${sid}`)
    .expect(200);
  return Object.fromEntries(res.body.pairs as Array<[string, Record<string, unknown>]>);
}

/** `k0`..`k<n-1>`. */
export function keyNames(n = CONCURRENT): string[] {
  return Array.from({ length: n }, (_, i) => `k${i}`);
}
