import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

/** The repository root. */
export const REPO = resolve(import.meta.dirname ?? '.', '..', '..');
/** The compiled command, as the package's `bin` runs it. */
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

/** What one run of the command did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli/main.js ...args` as a real process with only PATH, HOME and `env` set (the
 * developer's own KV_* variables must not leak in), optionally feeding `input` on stdin.
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Like {@link runCli}, but hands back the process too, for sending it signals. */
export function startCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): { child: ChildProcessWithoutNullStreams; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  child.stdin.end(options.input ?? '');
  return { child, done };
}

/**
 * Fails with a clear message when dist/ is missing or older than the sources it is built from
 * (`npm test` builds it in its pretest step; a lone `npx jest` run does not).
 */
export async function assertBuiltCli(): Promise<void> {
  const built = (() => {
    try {
      return statSync(CLI).mtimeMs;
    } catch (error) {
      throw new Error(`${relative(REPO, CLI)} is missing: run "npm run build" first`, {
        cause: error,
      });
    }
  })();
  for (const folder of ['lib/cli', 'lib/cli/commands', 'lib/migration']) {
    for (const name of await readdir(join(REPO, folder))) {
      if (!name.endsWith('.ts')) continue;
      if (statSync(join(REPO, folder, name)).mtimeMs > built) {
        throw new Error(`${folder}/${name} is newer than dist/: run "npm run build" first`);
      }
    }
  }
}
