// Compiled by the `tsc` step of `npm test`, never run: the package must declare its public API
// only. A constructor tagged @internal is the library's to call; were it declared, these calls
// would type-check and each unused @ts-expect-error would fail the compilation.
import { CsrfGuard, CsrfToken, SessionManager, SessionRegistry } from 'nest-aura-session';

export function internalConstructors(): object[] {
  return [
    // @ts-expect-error SessionManager is created per request by the library.
    new SessionManager({} as never, {} as never),
    // @ts-expect-error SessionRegistry is created once per app by SessionModule.
    new SessionRegistry({} as never),
    // @ts-expect-error CsrfToken is created by SessionManager.getCsrfToken().
    new CsrfToken({} as never, {} as never),
    // @ts-expect-error CsrfGuard is created by Nest's injector.
    new CsrfGuard({} as never, {} as never),
  ];
}
