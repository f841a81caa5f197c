import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CachedStats, RedisStoreOptions } from '../../../lib/index.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'cached-instance.script.mjs');

/** Options of one instance process (see cached-instance.script.mjs). */
export interface InstanceConfig {
  store: RedisStoreOptions & { type: 'redis' };
  /** Options of `@Cached` on the method under test (JSON only; tags come from `tagged`). */
  cached: Record<string, unknown>;
  /** How long one run of the method takes, in milliseconds. */
  computeMs: number;
  /** Tag each result with `item:<id>` and `all-items`. */
  tagged?: boolean;
  /** Runs numbered this or higher (across instances) throw. */
  failFromRun?: number;
}

/** What one call returned inside an instance. */
export interface CallResult {
  value?: { id: string; pid: number; run: number };
  error?: string;
  /** How long the call took, in milliseconds. */
  ms: number;
}

/** A reply of an instance, with its counters at the time. */
export interface Reply {
  results?: CallResult[];
  deleted?: number;
  store?: Record<string, unknown>;
  stats: CachedStats;
}

/** One app instance in its own Node process. */
export interface Instance {
  readonly pid: number;
  /** Ids of the keys this instance started computing, in order. */
  readonly computing: string[];
  /** Resolves when this instance starts computing `id`. */
  computingOf(id: string): Promise<void>;
  call(id: string, concurrency?: number): Promise<Reply>;
  invalidateTags(...tags: string[]): Promise<Reply>;
  stats(): Promise<CachedStats>;
  /** The instance's `store.getStats()`. */
  storeStats(): Promise<Record<string, unknown>>;
  /** SIGKILL: the process dies mid-whatever, as a crashed pod would. */
  kill(): Promise<void>;
  /** Closes the app and waits for the process to exit (kills it after 10 s). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts an instance process and resolves once its app is initialized and connected. */
export function startInstance(config: InstanceConfig): Promise<Instance> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const pending = new Map<number, (reply: Reply & { failure?: string }) => void>();
  const computing: string[] = [];
  const computingWaiters: Array<{ id: string; resolve: () => void }> = [];
  let seq = 0;
  return new Promise((resolve, reject) => {
    const failStart = (): void =>
      reject(new Error(`instance exited before it was ready:\n${stderr}`));
    child.once('exit', failStart);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.event === 'ready') {
        child.off('exit', failStart);
        resolve(instance);
      } else if (message.event === 'computing') {
        const id = String(message.id);
        computing.push(id);
        for (const waiter of computingWaiters.filter((w) => w.id === id)) waiter.resolve();
      } else if (typeof message.seq === 'number') {
        pending.get(message.seq)?.(message as unknown as Reply);
        pending.delete(message.seq);
      }
    });
    const send = (command: Record<string, unknown>): Promise<Reply> =>
      new Promise((resolveReply, rejectReply) => {
        const id = ++seq;
        const onExit = (): void =>
          rejectReply(new Error(`instance ${child.pid} exited before replying:\n${stderr}`));
        child.once('exit', onExit);
        pending.set(id, (reply) => {
          child.off('exit', onExit);
          if (reply.failure) rejectReply(new Error(reply.failure));
          else resolveReply(reply);
        });
        child.stdin?.write(`${JSON.stringify({ ...command, seq: id })}\n`);
      });
    const instance: Instance = {
      pid: child.pid as number,
      computing,
      computingOf: (id) =>
        computing.includes(id)
          ? Promise.resolve()
          : new Promise((resolveWait) => computingWaiters.push({ id, resolve: resolveWait })),
      call: (id, concurrency = 1) => send({ op: 'call', id, concurrency }),
      invalidateTags: (...tags) => send({ op: 'invalidateTags', tags }),
      stats: async () => (await send({ op: 'stats' })).stats,
      storeStats: async () => (await send({ op: 'storeStats' })).store ?? {},
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.stdin?.write(`${JSON.stringify({ op: 'exit', seq: ++seq })}\n`);
        await exited;
        clearTimeout(timer);
      },
    };
  });
}

/** Starts `count` instances in parallel. */
export function startInstances(count: number, config: InstanceConfig): Promise<Instance[]> {
  return Promise.all(Array.from({ length: count }, () => startInstance(config)));
}
