// Type-checks every ```ts block of README.md and docs/*.md against the built package (dist/, so
// run `npm run build` first; `npm run check:snippets` does), and runs the blocks marked `run`.
//
// An HTML comment on the line right before a block says what the block is (the convention is
// documented in docs/contributing.md):
//   (none)                           a whole module, compiled as written: its imports must be there
//   <!-- snippet: file=NAME.ts -->   a whole module saved as NAME.ts, so that the other blocks of
//                                    the same page can import it as './NAME.js'
//   <!-- snippet: fragment -->       statements: wrapped in an async function, with the common
//                                    imports in scope and `session` (a SessionManager) and `app`
//                                    (an INestApplication) declared
//   <!-- snippet: members -->        class members (handlers): wrapped in a controller class, with
//                                    the same imports in scope
//   <!-- snippet: run -->            a whole module that is compiled, then run with Node; it must
//                                    exit with 0 within 60 seconds
//   <!-- snippet: skip REASON -->    not checked; the reason is required
// `nest-aura-session` resolves to dist/esm/index.d.ts, as it does for an app that installed the
// package; the packages the docs mention but the repository does not install have minimal type
// stubs in scripts/snippet-stubs.d.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'dist-check', 'snippets');
const entry = join(root, 'dist', 'esm', 'index.d.ts');
const stubs = join(root, 'scripts', 'snippet-stubs.d.ts');
const RUN_TIMEOUT_MS = 60_000;

if (!existsSync(entry)) {
  console.error('check-snippets: dist/esm/index.d.ts is missing; run `npm run build` first');
  process.exit(1);
}

const PRELUDE = `import {
  Body, Controller, Delete, Get, Header, Headers, HttpCode, Inject, Injectable, Module, Param,
  Patch, Post, Put, Query, Redirect, Render, Req, Res, UseFilters, UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CsrfException, CsrfGuard, Segment, Session, SessionError, SessionHealthIndicator,
  SessionManager, SessionModule, SessionOptionsError, SessionStoreUnavailableError,
  SessionTooLargeError, SkipCsrf,
} from 'nest-aura-session';
declare const session: SessionManager;
declare const app: INestApplication;
`;
const PRELUDE_LINES = PRELUDE.split('\n').length - 1;

/** Every ```ts block of `file`, with what its marker says about it. */
function blocksOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const [, indent, lang] = fence;
    let end = i + 1;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    if (lang === 'ts' || lang === 'typescript') {
      const marker = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
      const code = lines
        .slice(i + 1, end)
        .map((line) => line.slice(indent.length))
        .join('\n');
      blocks.push({ file, line: i + 2, code, marker: marker ? marker[1] : '' });
    }
    i = end;
  }
  return blocks;
}

/** The TypeScript source for `block`, and how many lines were put before its first line. */
function sourceOf(block) {
  const { marker, code } = block;
  if (marker === 'fragment') {
    return {
      text: `${PRELUDE}export async function snippet(): Promise<void> {\n${code}\n}\n`,
      offset: PRELUDE_LINES + 1,
    };
  }
  if (marker === 'members') {
    return {
      text: `${PRELUDE}@Controller()\nexport class Snippet {\n${code}\n}\n`,
      offset: PRELUDE_LINES + 2,
    };
  }
  return { text: `${code}\nexport {};\n`, offset: 0 };
}

const docs = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(root, 'docs', name)),
];

rmSync(work, { recursive: true, force: true });
const files = new Map(); // snippet path -> { block, offset }
let skipped = 0;
let problems = 0;
for (const doc of docs) {
  const dir = join(work, basename(doc, '.md'));
  mkdirSync(dir, { recursive: true });
  for (const block of blocksOf(doc)) {
    const where = `${relative(root, doc)}:${block.line}`;
    if (block.marker.startsWith('skip')) {
      if (block.marker.replace(/^skip\s*/, '') === '') {
        console.error(`${where}: "snippet: skip" needs a reason`);
        problems++;
      }
      skipped++;
      continue;
    }
    const named = /^file=([\w.-]+\.ts)$/.exec(block.marker);
    if (block.marker && !named && !['fragment', 'members', 'run'].includes(block.marker)) {
      console.error(`${where}: unknown snippet marker "${block.marker}"`);
      problems++;
      continue;
    }
    const path = join(dir, named ? named[1] : `line-${block.line}.ts`);
    const { text, offset } = sourceOf(block);
    writeFileSync(path, text);
    files.set(path, { block, offset, where });
  }
}

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
  rootDir: work,
  outDir: join(work, 'out'),
  paths: { 'nest-aura-session': [entry] },
};
const program = ts.createProgram([...files.keys(), stubs], options);
const diagnostics = ts.getPreEmitDiagnostics(program);
for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const snippet = diagnostic.file && files.get(diagnostic.file.fileName);
  if (!snippet) {
    const at = diagnostic.file ? relative(root, diagnostic.file.fileName) : 'tsc';
    console.error(`${at}: ${message}`);
    problems++;
    continue;
  }
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  const docLine = snippet.block.line + line - snippet.offset;
  console.error(`${relative(root, snippet.block.file)}:${docLine}:${character + 1}: ${message}`);
  problems++;
}

const runnable = [...files.entries()].filter(([, s]) => s.block.marker === 'run');
let ran = 0;
if (problems === 0 && runnable.length > 0) {
  // The emitted modules sit inside the package, so `nest-aura-session` resolves to dist/ through
  // the package's own "exports" (a self-reference), as it would from an app's node_modules.
  const emitted = program.emit();
  if (emitted.emitSkipped) {
    console.error('check-snippets: emit failed');
    problems++;
  }
  for (const [path, { where }] of runnable) {
    const js = join(work, 'out', relative(work, path)).replace(/\.ts$/, '.js');
    const result = spawnSync(process.execPath, ['--enable-source-maps', js], {
      cwd: root,
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
      env: { ...process.env, NODE_ENV: 'test' },
    });
    if (result.status !== 0) {
      const why = result.error
        ? result.error.message
        : `exit code ${result.status ?? result.signal}`;
      console.error(
        `${where}: the runnable snippet failed (${why})\n${result.stdout}${result.stderr}`,
      );
      problems++;
    } else {
      ran++;
    }
  }
}

const checked = files.size;
console.log(
  `check-snippets: ${checked} type-checked, ${ran} run, ${skipped} skipped, ${problems} problem(s)`,
);
process.exit(problems === 0 ? 0 : 1);
