import type { CsrfRejectionReason } from '../../../src/index.js';
import { cookiesOf, type TestApp } from '../apps/test-app.js';

/** A session cookie (`sid=...`) and a CSRF token of that session. */
export interface IssuedToken {
  cookie: string;
  token: string;
}

/**
 * GETs `/csrf/token` (see `CsrfTestController`), in the session of `cookie` if given, else in
 * a new one.
 */
export async function issueToken(t: TestApp, cookie?: string): Promise<IssuedToken> {
  const req = t.http().get('/csrf/token');
  if (cookie !== undefined) req.set('Cookie', cookie);
  const res = await req.expect(200);
  const sent = cookiesOf(res).find((c) => c.startsWith('sid='));
  const sessionCookie = sent ?? cookie;
  if (sessionCookie === undefined) throw new Error('GET /csrf/token set no session cookie');
  return { cookie: sessionCookie, token: (res.body as { token: string }).token };
}

/** Asserts a CSRF refusal: Nest's usual 403 JSON plus the `reason`. */
export function expectRefused(
  res: { status: number; body: unknown },
  reason: CsrfRejectionReason,
): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 403,
    body: { statusCode: 403, error: 'Forbidden', message: expect.any(String), reason },
  });
}

/** Splits a token into its one-time pad and the secret it masks. */
export function unmask(token: string): { pad: Buffer; secret: Buffer } {
  const bytes = Buffer.from(token, 'base64url');
  const pad = bytes.subarray(0, 32);
  const secret = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) secret[i] = pad[i]! ^ bytes[i + 32]!;
  return { pad, secret };
}
