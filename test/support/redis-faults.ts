import { EventEmitter } from 'node:events';
import { KvStoreError } from '../../lib/index.js';
import { redisCli, startRedis, waitUntil, type RedisProcess } from './redis-harness.js';

/**
 * Fault helpers for the reliability tests, on top of the harness: kill a server without warning,
 * start it again where it was, wait for replicas to catch up, and watch for unhandled rejections.
 */

/** Arguments of a server that acknowledges a write only once it is on disk. */
export const DURABLE_ARGS: readonly string[] = ['--appendonly', 'yes', '--appendfsync', 'always'];

/** Kills one of our servers with SIGKILL (no shutdown, no final fsync) and waits until it is gone. */
export async function killHard(server: RedisProcess): Promise<void> {
  process.kill(server.pid, 'SIGKILL');
  await waitUntil(() => !isAlive(server.pid), 5000, `process ${server.pid} to die`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Starts a server again on the port and data directory of `previous` (which must be dead), with
 * `args` (give the same ones it was started with). The new process has its own throw-away
 * directory for bookkeeping, but `--dir` makes it read and write the data of `previous`, so stop
 * the new one before `previous` (whose stop() removes that directory).
 */
export function restartRedis(
  previous: RedisProcess,
  args: readonly string[],
): Promise<RedisProcess> {
  return startRedis({ port: previous.port, args: [...args, '--dir', previous.dir] });
}

/**
 * Waits until every replica of the master at `port` has received everything the master has
 * (`slaveN:...offset=` equals `master_repl_offset`), so that writes acknowledged so far survive a
 * failover to any of them.
 */
export async function waitForReplicas(port: number, ms = 10_000): Promise<void> {
  await waitUntil(
    async () => {
      const info = await redisCli(port, 'info', 'replication');
      const master = /master_repl_offset:(\d+)/.exec(info)?.[1];
      const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
      return master !== undefined && replicas.length > 0 && replicas.every((o) => o === master);
    },
    ms,
    `the replicas of port ${port} to catch up`,
  );
}

/** The role line of `INFO replication` (`master` or `slave`), or undefined when unreachable. */
export async function roleOf(port: number): Promise<string | undefined> {
  const info = await redisCli(port, 'info', 'replication').catch(() => '');
  return /role:(\w+)/.exec(info)?.[1];
}

/** Collects unhandled rejections while installed; `stop()` removes the listener. */
export interface RejectionWatch {
  readonly rejections: unknown[];
  stop(): void;
}

/**
 * The Node process itself. Under Jest, `process` in a test is a copy made for the sandbox, and
 * Node never emits on the copy; a function of a Node core module belongs to the host realm, so the
 * host's `Function` evaluates `process` there and returns the real one (outside Jest: the same).
 */
export function hostProcess(): NodeJS.Process {
  const HostFunction = EventEmitter.constructor as FunctionConstructor;
  return HostFunction('return process')() as NodeJS.Process;
}

/**
 * Listens for `unhandledRejection` on the real Node process ({@link hostProcess}) until `stop()`,
 * so a promise the library drops without a handler shows up in `rejections`, under Jest as well.
 * Jest also fails the running test for such a rejection; the watcher catches the ones that fire
 * between tests or after the test that caused them, and names what it caught.
 */
export function watchUnhandledRejections(): RejectionWatch {
  const host = hostProcess();
  const rejections: unknown[] = [];
  const listener = (reason: unknown): void => {
    rejections.push(reason);
  };
  host.on('unhandledRejection', listener);
  return { rejections, stop: () => host.off('unhandledRejection', listener) };
}

/** The `code` of a library error, or a description of anything else (for grouping outcomes). */
export function outcomeOf(error: unknown): string {
  if (error instanceof KvStoreError) return error.code;
  return `foreign ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** Milliseconds since `start` (a `performance.now()` reading), rounded. */
export function elapsedMs(start: number): number {
  return Math.round(performance.now() - start);
}

/** Polls `attempt` every 20 ms until it resolves; resolves the milliseconds it took. */
export async function timeUntilWorks(
  attempt: () => Promise<unknown>,
  ms: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  const deadline = start + ms;
  for (;;) {
    const ok = await attempt().then(
      () => true,
      () => false,
    );
    if (ok) return elapsedMs(start);
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Pauses one of our servers with SIGSTOP: it keeps its connections open and answers nothing. */
export function pauseRedis(server: RedisProcess): void {
  process.kill(server.pid, 'SIGSTOP');
}

/** Resumes a server paused by {@link pauseRedis}. */
export function resumeRedis(server: RedisProcess): void {
  process.kill(server.pid, 'SIGCONT');
}
