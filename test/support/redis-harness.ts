import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REDIS_CLI, REDIS_SERVER } from './server-binaries.js';

/**
 * Starts throw-away redis-server processes on free loopback ports for the Redis tests, and stops
 * them by PID. It never talks to a server it did not start (the machine's own Redis on 6379 is
 * not ours), never FLUSHes anything, and kills what it started when the process exits, even after
 * a failing test.
 */

const run = promisify(execFile);

/** Loopback address every test server binds to. */
export const LOOPBACK = '127.0.0.1';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A Jest worker that dies mid-suite must not leave servers behind: kill by PID, synchronously.
  process.on('exit', () => {
    for (const child of live) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch (error) {
          // ESRCH: the process already ended between the check and the kill; nothing to clean.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
    }
  });
}

/** A free TCP port on the loopback interface (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server (or Sentinel) process this harness started. */
export interface RedisProcess {
  /** Port it listens on (the TLS port for TLS servers). */
  readonly port: number;
  /** Its process id. */
  readonly pid: number;
  /** Its private temporary directory (config, cluster state). */
  readonly dir: string;
  /** Stops it (SIGTERM, SIGKILL after 3 s) and removes its directory; idempotent. */
  stop(): Promise<void>;
}

interface StartOptions {
  /** Extra arguments after the common ones. */
  args?: string[];
  /** Log line that means "ready" (default: Ready to accept connections). */
  readyLine?: RegExp;
  /** Config file contents, written to <dir>/redis.conf and passed first. */
  config?: string;
  /** Do not add --port (the caller passes --port 0 and --tls-port). */
  customPort?: boolean;
  /** Passed after the config file (e.g. --sentinel). */
  mode?: string;
  /** Listen on this port (to restart a server where it was) instead of a free one. */
  port?: number;
  /**
   * A cluster node: also listen for the cluster bus on a free port (`--cluster-port`), taken
   * again on each attempt, like the client port: either can be taken between the pick and the bind.
   */
  clusterBus?: boolean;
}

const START_TIMEOUT_MS = 10_000;

/**
 * Starts a redis-server on a free loopback port with persistence off, and resolves once it logs
 * that it is ready. Retries on a fresh port if another process took the port in the meantime.
 */
export async function startRedis(options: StartOptions = {}): Promise<RedisProcess> {
  if (options.port !== undefined) return startOnce(options, options.port);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(options: StartOptions, port: number): Promise<RedisProcess> {
  // jest.config.js sets this global in the unit project, which must stay free of servers.
  if ((globalThis as { kvTestGroup?: string }).kvTestGroup === 'unit') {
    throw new Error('A unit spec started a server: list it in the REDIS group of jest.config.js');
  }
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'kv-redis-'));
  const args: string[] = [];
  if (options.config !== undefined) {
    const file = join(dir, 'redis.conf');
    await writeFile(file, options.config.replaceAll('${PORT}', String(port)));
    args.push(file);
    if (options.mode) args.push(options.mode);
  }
  if (!options.customPort) args.push('--port', String(port));
  args.push('--bind', LOOPBACK, '--dir', dir, '--logfile', '');
  if (options.mode !== '--sentinel') {
    // A primary waits 5 s by default before a diskless full sync, for more replicas to join:
    // every replica, cluster and failover set-up of the tests would pay it.
    args.push('--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0');
  }
  args.push(...(options.args ?? []).map((a) => a.replaceAll('${PORT}', String(port))));
  if (options.clusterBus) args.push('--cluster-port', String(await freePort()));
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForLine(child, options.readyLine ?? /Ready to accept connections/);
  } catch (error) {
    await stop();
    throw error;
  }
  // Keep draining output so that a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return { port, pid: child.pid as number, dir, stop };
}

function waitForLine(child: ChildProcess, line: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => done(new Error(`${REDIS_SERVER} did not start in time:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (line.test(output)) done();
    };
    const onExit = (code: number | null): void =>
      done(new Error(`${REDIS_SERVER} exited with code ${code}:\n${output}`));
    function done(error?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Runs redis-cli against one of our servers; resolves its standard output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', LOOPBACK, '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

/** Calls of one command so far, from `INFO commandstats`. */
export async function commandCalls(port: number, command: string): Promise<number> {
  const stats = await redisCli(port, 'info', 'commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

/** Polls `check` every 50 ms until it resolves true, or fails after `ms` milliseconds. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops every process in `processes`, in parallel. */
export async function stopAll(processes: ReadonlyArray<RedisProcess | undefined>): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop()));
}

/** A primary, a replica and a Sentinel that monitors the primary as `name`. */
export interface SentinelSetup {
  primary: RedisProcess;
  replica: RedisProcess;
  sentinel: RedisProcess;
  name: string;
  stop(): Promise<void>;
}

/**
 * Starts a primary, a replica of it, and one Sentinel (quorum 1) monitoring them; `args` go to
 * the primary and the replica (e.g. to turn the append-only file on).
 */
export async function startSentinelSetup(
  name = 'kvprimary',
  args: readonly string[] = [],
): Promise<SentinelSetup> {
  const primary = await startRedis({ args: [...args] });
  const processes: RedisProcess[] = [primary];
  try {
    const replica = await startRedis({
      args: [...args, '--replicaof', LOOPBACK, String(primary.port)],
    });
    processes.push(replica);
    const sentinel = await startRedis({
      config: [
        'port ${PORT}',
        `sentinel monitor ${name} ${LOOPBACK} ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} 5000`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
      mode: '--sentinel',
      customPort: true,
      readyLine: /\+monitor master/,
    });
    processes.push(sentinel);
    await waitUntil(
      async () =>
        (await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', name)).includes(
          String(primary.port),
        ),
      10_000,
      'the Sentinel to know the primary',
    );
    await waitUntil(
      async () =>
        (await redisCli(primary.port, 'info', 'replication')).includes('connected_slaves:1'),
      10_000,
      'the replica to attach',
    );
    return { primary, replica, sentinel, name, stop: () => stopAll(processes) };
  } catch (error) {
    await stopAll(processes);
    throw error;
  }
}

/**
 * Sets how long the Sentinel of `setup` waits, in milliseconds, before it calls the primary down
 * (the harness starts it with 5 s).
 */
export async function setDownAfter(setup: SentinelSetup, ms: number): Promise<void> {
  await redisCli(
    setup.sentinel.port,
    'sentinel',
    'set',
    setup.name,
    'down-after-milliseconds',
    String(ms),
  );
}

/** Six cluster nodes (3 masters, 3 replicas) with cluster_state:ok. */
export interface ClusterSetup {
  nodes: RedisProcess[];
  stop(): Promise<void>;
}

/** Starts 6 nodes with --cluster-enabled, joins them with redis-cli --cluster create. */
export async function startCluster(): Promise<ClusterSetup> {
  const nodes: RedisProcess[] = [];
  try {
    // In parallel: six start-ups one after another are most of a cluster's set-up time.
    const started = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        startRedis({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '5000',
          ],
          clusterBus: true,
        }),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await run(
      REDIS_CLI,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${LOOPBACK}:${n.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    for (const node of nodes) {
      await waitUntil(
        async () => (await redisCli(node.port, 'cluster', 'info')).includes('cluster_state:ok'),
        30_000,
        `cluster_state:ok on port ${node.port}`,
      );
    }
    return { nodes, stop: () => stopAll(nodes) };
  } catch (error) {
    await stopAll(nodes);
    throw error;
  }
}

let prefixCounter = 0;

/** A key prefix no other store of this test run uses. */
export function uniquePrefix(label: string): string {
  prefixCounter++;
  return `kvtest:${label}:${process.pid}:${prefixCounter}:`;
}
