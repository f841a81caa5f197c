import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds lib/ of `gitRef` into `<repo>/.tmp/ab/<commit>/dist` once, for an A/B against this
 * checkout; returns the path of its index.js.
 */
export function buildRef(repo: string, gitRef: string): string {
  const commit = execFileSync('git', ['rev-parse', gitRef], { cwd: repo }).toString().trim();
  const root = join(repo, '.tmp', 'ab', commit);
  const entry = join(root, 'dist', 'index.js');
  if (existsSync(entry)) return entry;
  mkdirSync(root, { recursive: true });
  const files = ['lib', 'tsconfig.json', 'tsconfig.build.json'];
  const archive = execFileSync('git', ['archive', commit, ...files], { cwd: repo });
  execFileSync('tar', ['-x', '-C', root], { input: archive });
  execFileSync(join(repo, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
  });
  return entry;
}
