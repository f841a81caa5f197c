import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from '../cli/run-cli-process.js';
import type { HistoryOp } from './coherence-checker.js';

/**
 * The processes of the multi-process history checks: each runs
 * test/reliability/coherence-worker.script.mjs on the built package, reads and writes a few keys
 * with timestamps until stopped, and records every call in a JSON-lines history that
 * {@link readHistory} turns into the checker's input (test/support/coherence-checker.ts).
 */

const WORKER = join(REPO, 'test', 'reliability', 'coherence-worker.script.mjs');

/** One worker process (see coherence-worker.script.mjs for its settings). */
export interface CoherenceWorker {
  /** Its name: the `by` of its operations, and its history file's name. */
  readonly name: string;
  /** Where it writes its history. */
  readonly historyFile: string;
  /** Resolves once its store is connected (and its near cache active, if it has one, within 10 s). */
  readonly ready: Promise<{ active: boolean }>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** Tells it to stop, and waits for it to exit (kills it after 10 s). */
  stop(): Promise<void>;
}

/** A sample of a worker's near-cache counters (every 500 ms). */
export interface StatsSample {
  /** When it was taken, ms on the shared clock. */
  t: number;
  /** Whether the near cache was serving from memory. */
  active: boolean;
  /** Near-cache hits so far. */
  hits: number;
  /** Near-cache misses so far. */
  misses: number;
  /** Times the near cache was emptied so far. */
  flushes: number;
}

/**
 * Starts a worker named `settings.name` whose history goes to `dir`; `settings` are the worker's
 * (keys, mode, connection, timeout in seconds...), passed through as JSON.
 */
export function startCoherenceWorker(
  settings: { readonly name: string } & Record<string, unknown>,
  dir: string,
): CoherenceWorker {
  const name = settings.name;
  const historyFile = join(dir, `${name}.jsonl`);
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [WORKER, JSON.stringify({ ...settings, historyFile })],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A worker that already ended makes a late `stop` line fail with EPIPE: nothing to stop then.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<{ active: boolean }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string; active?: boolean };
      if (message.event === 'ready') resolve({ active: message.active === true });
    });
    void exited.then(() => reject(new Error(`worker ${name} exited before ready: ${stderr}`)));
  });
  return {
    name,
    historyFile,
    ready,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A worker's history: its calls as checker operations, its near-cache samples, its failed calls. */
export async function readHistory(
  worker: CoherenceWorker,
): Promise<{ ops: HistoryOp[]; stats: StatsSample[]; errors: number }> {
  const text = await readFile(worker.historyFile, 'utf8');
  const ops: HistoryOp[] = [];
  const stats: StatsSample[] = [];
  let errors = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as {
      op: string;
      k: string;
      v: string | null;
      s: number;
      e: number;
      ok: boolean;
    } & StatsSample;
    if (entry.op === 'stats') {
      stats.push(entry);
      continue;
    }
    if (!entry.ok) errors++;
    ops.push({
      kind: entry.op === 'get' ? 'read' : 'write',
      key: entry.k,
      value: entry.v ?? null,
      start: entry.s,
      end: entry.e,
      ok: entry.ok,
      by: worker.name,
    });
  }
  return { ops, stats, errors };
}
