import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../cli/run-cli-process.js';
import { freePort } from '../support/redis-harness.js';

/** The sample app as `npm start` runs it. */
const MAIN = join(REPO, 'sample-app', 'dist', 'main.js');
const LIBRARY = join(REPO, 'dist', 'index.js');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const START_TIMEOUT_MS = 30_000;

const run = promisify(execFile);

/** The sample app running as its own OS process, as one instance of a deployment. */
export interface SampleAppProcess {
  /** Its process id. */
  readonly pid: number;
  /** Base URL of its HTTP server, such as `http://127.0.0.1:40123`. */
  readonly url: string;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL, as a crashed pod; resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the app closes its stores), SIGKILL after 5 s; resolves once it is gone. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A Jest worker that dies before afterAll must not leave apps behind: kill them synchronously.
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Makes sure `sample-app/dist` is built from the current sources, as `npm start` does:
 * `npm test` builds it in its pretest step, so this only compiles (a few seconds) when the
 * sources or the library's `dist/` are newer. Fails when the library's `dist/` is missing or
 * older than `lib/` (`npm run build` is 15 s and shared with the other process tests).
 */
export async function buildSampleApp(): Promise<void> {
  const library = await mtime(LIBRARY);
  if (library === undefined || (await newestSource(join(REPO, 'lib'))) > library) {
    throw new Error(
      `${relative(REPO, LIBRARY)} is missing or older than lib/: run "npm run build"`,
    );
  }
  const built = await mtime(MAIN);
  const newest = Math.max(library, await newestSource(join(REPO, 'sample-app', 'src')));
  if (built !== undefined && built >= newest) return;
  try {
    await run(process.execPath, [TSC, '-p', join('sample-app', 'tsconfig.json')], {
      cwd: REPO,
      timeout: 120_000,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`the sample app does not build:\n${stdout}${stderr}`, { cause: error });
  }
}

/**
 * Starts `node sample-app/dist/main.js` on a free port with only `env` (plus PATH and HOME)
 * set, and resolves once it logs that it listens. Retries on another port when the chosen one
 * was taken meanwhile.
 */
export async function startSampleApp(env: Record<string, string>): Promise<SampleAppProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, await freePort());
    } catch (error) {
      if (attempt === 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startOnce(env: Record<string, string>, port: number): Promise<SampleAppProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: REPO,
    // The developer's own KV_* variables must not leak in; NO_COLOR keeps the log readable.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NO_COLOR: '1',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const gone = (signal: NodeJS.Signals, graceMs: number) => async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const app: SampleAppProcess = {
    pid: child.pid as number,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    kill: gone('SIGKILL', 0),
    stop: gone('SIGTERM', 5000),
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not listen within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const onData = (): void => {
      if (output.includes(`Listening on http://localhost:${port}`)) done();
    };
    const onExit = (code: number | null): void => fail(`exited with code ${code}`);
    function done(error?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    function fail(why: string): void {
      void app.kill();
      done(new Error(`sample app on port ${port} ${why}:\n${output}`));
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return app;
}

async function mtime(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time of the TypeScript files under `folder`. */
async function newestSource(folder: string): Promise<number> {
  let newest = 0;
  for (const name of await readdir(folder, { recursive: true })) {
    if (name.endsWith('.ts')) newest = Math.max(newest, (await stat(join(folder, name))).mtimeMs);
  }
  return newest;
}
