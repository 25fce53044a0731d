// Compiled by the `tsc` step of `npm test`, never run: the package must declare its public API
// only. These constructors are the library's to call: declared private, or (CsrfGuard, which Nest
// creates and `useClass` must accept) not declared with their parameters. Were one callable as
// written here, its @ts-expect-error would go unused and fail the compilation. `new CsrfGuard()`
// without arguments is public: it finds its options through each request's app.
import { CsrfGuard, CsrfToken, SessionManager, SessionRegistry } from 'nest-aura-session';

export function internalConstructors(): object[] {
  return [
    // @ts-expect-error SessionManager is created per request by the library.
    new SessionManager({} as never, {} as never),
    // @ts-expect-error Not without arguments either.
    new SessionManager(),
    // @ts-expect-error SessionRegistry is created once per app by SessionModule.
    new SessionRegistry({} as never),
    // @ts-expect-error Not without arguments either.
    new SessionRegistry(),
    // @ts-expect-error CsrfToken is created by SessionManager.getCsrfToken().
    new CsrfToken({} as never, {} as never),
    // @ts-expect-error Not without arguments either.
    new CsrfToken(),
    // @ts-expect-error CsrfGuard's injected parameters are not public.
    new CsrfGuard({} as never, {} as never),
    new CsrfGuard(),
  ];
}
