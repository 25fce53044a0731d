// Compiled by the `tsc` step of `npm test`, never run: types a user's code relies on. With
// `declaration: true` (Nest's starter sets it), a return type inferred from the package must be
// one the consumer's declarations can name.
import {
  Session,
  SessionExceptionFilter,
  type Segment,
  type SessionManager,
  type SessionSegment,
} from 'nest-aura-session';

type Cart = { items: string[]; coupon?: string };

export function cartOf(session: SessionManager) {
  return session.newSegment<Cart>('Shop\\Cart');
}

export function sameType(cart: Segment<Cart>): SessionSegment<Cart> {
  return cart;
}

// With `alt`, the value is never undefined.
export async function itemsOf(cart: Segment<Cart>): Promise<string[]> {
  return cart.get('items', []);
}

export async function noticeOf(cart: Segment<Cart>): Promise<string> {
  return cart.getFlash('notice', '');
}

export async function couponOf(cart: Segment<Cart>): Promise<string> {
  // @ts-expect-error Without `alt`, the value may be missing.
  return cart.get('coupon');
}

export async function flashes(cart: Segment<Cart>, notice: string | undefined): Promise<void> {
  await cart.setFlash('notice', 'Saved');
  await cart.setFlash('parsed', JSON.parse('{}') as unknown);
  // @ts-expect-error undefined is not a JSON value: setFlash() would throw.
  await cart.setFlash('notice', notice);
  // @ts-expect-error Nor for setFlashNow().
  await cart.setFlashNow('notice', undefined);
}

// `@UseFilters(new SessionExceptionFilter())` is a common way to write a filter.
export const handMadeFilter = new SessionExceptionFilter();

export async function notJson(cart: Segment<Cart>, bag: Segment): Promise<void> {
  // @ts-expect-error A Date does not survive JSON: set() would throw.
  await bag.set('when', new Date());
  // @ts-expect-error Nor nested, nor as a flash value.
  await cart.setFlash('seen', { at: new Date() });
  await bag.set('when', new Date().toISOString());
}

export class AccountController {
  show(@Session() session: SessionManager): SessionManager {
    return session;
  }

  ignored(
    // @ts-expect-error @Session() takes no data key or pipe: it would be ignored.
    @Session('user') session: SessionManager,
  ): SessionManager {
    return session;
  }
}
