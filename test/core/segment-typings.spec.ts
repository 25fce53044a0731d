import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Never written to disk: the compiler host below serves it from memory.
const CHECKED = fileURLToPath(new URL('./segment-typings.check.ts', import.meta.url));

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
};

/**
 * The compile errors of `body`, written as a user would against a typed `cart` segment and an
 * untyped `bag` segment.
 */
function errorsOf(body: string): string[] {
  const source = [
    "import type { Segment } from '../../src/core/segment.js';",
    'interface Cart { items: string[]; coupon?: string; note: string | null }',
    'declare const cart: Segment<Cart>;',
    'declare const bag: Segment;',
    'declare const maybeCode: string | undefined;',
    'declare const parsed: unknown;',
    'export async function use(): Promise<void> {',
    body,
    '}',
  ].join('\n');
  const host = ts.createCompilerHost(OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === CHECKED
      ? ts.createSourceFile(name, source, language)
      : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === CHECKED || fileExists.call(host, name);
  host.readFile = (name) => (name === CHECKED ? source : readFile.call(host, name));
  const program = ts.createProgram([CHECKED], OPTIONS, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(CHECKED))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('Segment<T> typings', () => {
  it('accept a value for an optional key, and remove() to delete it', () => {
    expect(
      errorsOf(`
        await cart.set('coupon', 'SAVE10');
        await cart.set('items', ['book']);
        await cart.set('note', null);
        if (maybeCode !== undefined) await cart.set('coupon', maybeCode);
        await cart.remove('coupon');`),
    ).toEqual([]);
  });

  it('refuse undefined for an optional key at compile time, which set() would throw on', () => {
    const errors = errorsOf(`await cart.set('coupon', undefined);`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'undefined' is not assignable`);
  });

  it('refuse a value that may be undefined for an optional key', () => {
    const errors = errorsOf(`await cart.set('coupon', maybeCode);`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'string | undefined' is not assignable`);
  });

  it('still refuse a value of the wrong type', () => {
    const errors = errorsOf(`await cart.set('coupon', 10);`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'number' is not assignable`);
  });

  it('accept any JSON value, null included, and a value typed unknown for an untyped segment', () => {
    expect(
      errorsOf(`
        await bag.set('count', 1);
        await bag.set('name', 'Ann');
        await bag.set('nothing', null);
        await bag.set('list', [1, 'two']);
        await bag.set('user', { id: 7 });
        await bag.set('input', parsed);`),
    ).toEqual([]);
  });

  it('refuse undefined for an untyped segment at compile time, which set() would throw on', () => {
    const errors = errorsOf(`await bag.set('count', undefined);`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'undefined' is not assignable`);
  });

  it('refuse a value that may be undefined for an untyped segment', () => {
    const errors = errorsOf(`await bag.set('code', maybeCode);`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'string | undefined' is not assignable`);
  });
});

describe('Segment<T> typings of values JSON cannot carry', () => {
  it('refuse a Date, Map, Set, bigint or function, which set() would throw on', () => {
    const errors = errorsOf(`
      await bag.set('when', new Date());
      await bag.set('ids', new Set([1]));
      await bag.set('byId', new Map());
      await bag.set('big', 10n);
      await bag.set('fn', () => 1);`);
    expect(errors).toHaveLength(5);
    expect(errors[0]).toContain(`'Date' is not assignable`);
    expect(errors[1]).toContain(`'Set<number>' is not assignable`);
  });

  it('refuse one nested at any depth, and a class instance with methods', () => {
    const errors = errorsOf(`
      class Money { constructor(readonly cents: number) {} format() { return ''; } }
      await bag.set('user', { id: 7, seen: [{ at: new Date() }] });
      await bag.set('price', new Money(5));`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain(`'Date' is not assignable`);
    expect(errors[1]).toContain(`'Money' is not assignable`);
  });

  it('refuse them in a typed segment whose type declares them', () => {
    const errors = errorsOf(`
      const log: Segment<{ at?: Date }> = bag as never;
      await log.set('at', new Date());`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`'Date' is not assignable`);
  });

  it('refuse them as flash values too', () => {
    const errors = errorsOf(`
      await bag.setFlash('when', new Date());
      await bag.setFlashNow('when', { at: new Date() });`);
    expect(errors).toHaveLength(2);
  });

  it('accept nested JSON, recursive types, readonly arrays and values typed unknown or any', () => {
    expect(
      errorsOf(`
        interface Tree { name: string; kids: Tree[] }
        const tree: Tree = { name: 'a', kids: [{ name: 'b', kids: [] }] };
        const tags: readonly string[] = ['x'];
        const loose: any = new Date();
        await bag.set('tree', tree);
        await bag.set('tags', tags);
        await bag.set('pair', [1, 'two'] as const);
        await bag.set('user', { id: 7, name: null, roles: ['admin'], meta: { ok: true } });
        await bag.set('input', parsed);
        await bag.set('loose', loose);
        await cart.set('items', tags as string[]);
        await bag.setFlash('notice', { text: 'Saved', level: 1 });
        type UserId = string & { readonly brand: 'UserId' };
        await bag.set('user', { id: 'u1' as UserId });`),
    ).toEqual([]);
  });
});

describe('Segment<T> typings of a key typed as a union', () => {
  it('refuse a value that does not fit every key the union names', () => {
    const errors = errorsOf(`
      const key = Math.random() < 0.5 ? ('coupon' as const) : ('items' as const);
      await cart.set(key, 'SAVE10');
      await cart.set(key, ['book']);`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain(
      `'string' is not assignable to parameter of type 'string & string[]'`,
    );
  });

  it('accept one that fits every key', () => {
    const errors = errorsOf(`
      const labels: Segment<{ title: string; subtitle: string }> = bag as never;
      const key = Math.random() < 0.5 ? ('title' as const) : ('subtitle' as const);
      await labels.set(key, 'Hello');`);
    expect(errors).toEqual([]);
  });
});
