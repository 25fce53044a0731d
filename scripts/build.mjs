// Dual build: ESM for NestJS 12 apps, CommonJS for NestJS 11 apps, with one declaration file for
// both that declares the public API only.
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const dist = join(root, 'dist');
// tsc's per-file declarations, @internal members included: api-extractor's input, never shipped.
// api-extractor.json reads its entry point from here too.
const declarations = join(root, 'dist-check', 'types');

function compile(project, ...overrides) {
  const args = ['-p', project, ...overrides];
  console.log(`tsc ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build failed: tsc -p ${project} exited with ${result.status ?? result.signal}`);
    process.exit(1);
  }
}

/**
 * Rolls the declarations up into `dist/esm/index.d.ts`, trimmed to the public release: tsc's
 * `stripInternal` cannot do it, since it drops @internal types that the kept declarations
 * still name; api-extractor keeps those as unexported local declarations.
 */
function rollUpDeclarations() {
  const configObjectFullPath = join(root, 'api-extractor.json');
  const configObject = ExtractorConfig.loadFile(configObjectFullPath);
  // The API report is `npm run api:check`'s business; the build only writes the rollup.
  configObject.apiReport = { ...configObject.apiReport, enabled: false };
  configObject.dtsRollup = {
    enabled: true,
    untrimmedFilePath: '',
    publicTrimmedFilePath: '<projectFolder>/dist/esm/index.d.ts',
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath,
    packageJsonFullPath: join(root, 'package.json'),
  });
  console.log('api-extractor: dist/esm/index.d.ts');
  const result = Extractor.invoke(config, { localBuild: true });
  if (!result.succeeded || result.warningCount > 0) {
    console.error(
      `build failed: api-extractor reported ${result.errorCount} error(s), ${result.warningCount} warning(s)`,
    );
    process.exit(1);
  }
}

// Stale files from renamed or deleted sources would otherwise ship in the tarball.
rmSync(dist, { recursive: true, force: true });
rmSync(declarations, { recursive: true, force: true });

compile('tsconfig.build.json', '--declarationDir', declarations);
compile('tsconfig.build.cjs.json', '--declaration', 'false');
rollUpDeclarations();
// The rollup imports only packages, never a file of its own, so the same text serves `require`:
// next to the marker below it is read as a CommonJS module.
copyFileSync(join(dist, 'esm', 'index.d.ts'), join(dist, 'cjs', 'index.d.ts'));

// The root package.json says "type": "module"; without this marker Node would load the
// CommonJS output as ESM and fail on `exports`/`require`.
writeFileSync(join(dist, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

console.log('built dist/esm and dist/cjs');
