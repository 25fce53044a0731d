import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** The declaration TypeScript emits for a source file, as the published typings hold it. */
function declarationOf(path: string): ts.SourceFile {
  const source = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
  const { outputText, diagnostics } = ts.transpileDeclaration(source, {
    fileName: path,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext },
  });
  // Messages only: a diagnostic object links the whole syntax tree, too big for a test diff.
  const problems = (diagnostics ?? []).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  );
  expect(problems).toEqual([]);
  return ts.createSourceFile(`${path}.d.ts`, outputText, ts.ScriptTarget.ES2022, true);
}

function classNamed(file: ts.SourceFile, name: string): ts.ClassDeclaration {
  const found = file.statements.find(
    (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name,
  );
  if (!found) throw new Error(`no class ${name} in the declaration`);
  return found;
}

function memberName(member: ts.ClassElement): string {
  if (ts.isConstructorDeclaration(member)) return 'constructor';
  if (member.name && ts.isPrivateIdentifier(member.name)) return member.name.text;
  return member.name?.getText() ?? ts.SyntaxKind[member.kind];
}

/** The public API of SessionManager: the methods its users call, and nothing else. */
const PUBLIC_METHODS = [
  'newSegment',
  'isResumable',
  'isStarted',
  'start',
  'resume',
  'commit',
  'clear',
  'destroy',
  'regenerateId',
  'bindUser',
  'getUserId',
  'getCsrfToken',
  'isCsrfTokenValid',
  'getId',
  'getName',
  'getCookieParams',
  'setCookieParams',
];

describe('SessionManager typings', () => {
  let manager: ts.ClassDeclaration;
  beforeAll(() => {
    manager = classNamed(declarationOf('src/core/session-manager.ts'), 'SessionManager');
  });

  it('declare exactly the public methods, an opaque #private and the private constructor', () => {
    const names = manager.members.map(memberName);
    expect([...names].sort()).toEqual([...PUBLIC_METHODS, '#private', 'constructor'].sort());
  });

  it('declare every public method as a method, none static, private or protected', () => {
    for (const member of manager.members) {
      if (ts.isConstructorDeclaration(member) || memberName(member) === '#private') continue;
      expect([memberName(member), ts.SyntaxKind[member.kind]]).toEqual([
        memberName(member),
        'MethodDeclaration',
      ]);
      const modifiers = ts.canHaveModifiers(member)
        ? (ts.getModifiers(member) ?? []).map((m) => ts.SyntaxKind[m.kind])
        : [];
      expect([memberName(member), modifiers]).toEqual([memberName(member), []]);
    }
  });

  it('declare the constructor private and without its parameters: users get managers injected', () => {
    const constructor = manager.members.find(ts.isConstructorDeclaration)!;
    const modifiers = (ts.getModifiers(constructor) ?? []).map((m) => ts.SyntaxKind[m.kind]);
    expect(modifiers).toEqual(['PrivateKeyword']);
    expect(constructor.parameters).toHaveLength(0);
  });

  it('keep the internal parts out of the package entry point', () => {
    const entry = declarationOf('src/index.ts');
    const exported = new Set<string>();
    for (const statement of entry.statements) {
      if (!ts.isExportDeclaration(statement) || !statement.exportClause) continue;
      if (!ts.isNamedExports(statement.exportClause)) continue;
      for (const element of statement.exportClause.elements) exported.add(element.name.text);
    }
    expect(exported.has('SessionManager')).toBe(true);
    for (const internal of [
      'coreOf',
      'newSessionManager',
      'newSessionRegistry',
      'newCsrfToken',
      'SessionCore',
      'ChangeLog',
      'commitChanges',
      'SessionCookie',
      'isExpired',
      'ttlOf',
      'needsTouch',
      'SessionRuntime',
    ]) {
      expect([internal, exported.has(internal)]).toEqual([internal, false]);
    }
  });
});
