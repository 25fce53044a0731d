// Dual build: ESM for NestJS 12 apps, CommonJS for NestJS 11 apps.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const dist = join(root, 'dist');

function compile(project) {
  console.log(`tsc -p ${project}`);
  const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build failed: tsc -p ${project} exited with ${result.status ?? result.signal}`);
    process.exit(1);
  }
}

// Stale files from renamed or deleted sources would otherwise ship in the tarball.
rmSync(dist, { recursive: true, force: true });

compile('tsconfig.build.json');
compile('tsconfig.build.cjs.json');

// The root package.json says "type": "module"; without this marker Node would load the
// CommonJS output as ESM and fail on `exports`/`require`.
writeFileSync(join(dist, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

console.log('built dist/esm and dist/cjs');
