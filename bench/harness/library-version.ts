import { execFileSync } from 'node:child_process';

/** The commit of the library source the bench compiled, and whether `src/` had local changes. */
export function libraryVersion(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: new URL('../../../..', import.meta.url), encoding: 'utf8' });
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    return git('status', '--porcelain', '--', 'src').trim()
      ? `${commit} with uncommitted changes in src/`
      : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
