import { randomBytes } from 'node:crypto';
import type { CounterBody } from '../apps/counter.js';
import type { AppProcess } from './app-process.js';

/**
 * One session per connection: each cookie comes from a first /write, and a /read with it must
 * see that write, or the variant is not measuring what it claims to. With `bind`, each session is
 * then bound to the bench's user, as after a login.
 */
export async function createSessionCookies(
  app: AppProcess,
  count: number,
  options: { bind?: boolean } = {},
): Promise<string[]> {
  if (
    app.variant.library === 'baseline' ||
    app.variant.library === 'round-trips' ||
    app.variant.library === 'handler-shape'
  ) {
    // No session, but a cookie header of the same size as ours (round-trips keys Redis by it).
    return Array.from({ length: count }, () => `sid=${randomBytes(32).toString('base64url')}`);
  }
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const write = await fetch(`${app.url}/write`);
    const cookie = write.headers
      .getSetCookie()
      .map((header) => header.split(';', 1)[0])
      .join('; ');
    if (!write.ok || !cookie) {
      throw new Error(
        `${app.variant.id}: /write answered ${write.status} without a session cookie`,
      );
    }
    const read = await fetch(`${app.url}/read`, { headers: { cookie } });
    const body = (await read.json()) as CounterBody;
    if (body.counter !== 1) {
      throw new Error(`${app.variant.id}: /read with the new cookie saw ${JSON.stringify(body)}`);
    }
    if (options.bind && !(await fetch(`${app.url}/bind`, { headers: { cookie } })).ok) {
      throw new Error(`${app.variant.id}: /bind failed`);
    }
    cookies.push(cookie);
  }
  return cookies;
}
