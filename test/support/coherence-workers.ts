import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from '../cli/run-cli-process.js';
import type { HistoryOp } from './coherence-checker.js';

/**
 * Application instances of a multi-process coherence check, each in its own process running
 * `test/reliability/coherence-worker.script.mjs` on the built package (`npm run build` first),
 * and the histories they record, in the shape the coherence checker reads.
 */

const WORKER = join(REPO, 'test', 'reliability', 'coherence-worker.script.mjs');

/**
 * The clock of every history, in milliseconds: the machine's monotonic clock, read alike by every
 * process. `performance.timeOrigin + performance.now()` is not one clock: each process pairs the
 * wall clock with the monotonic one once, at start-up, so a wall-clock step (or a preemption)
 * between two start-ups offsets one process against the others. A CI run saw that: 46 reads by
 * two workers returned values a third worker began writing only after those reads had ended.
 * The worker script keeps a copy of this line.
 */
export const historyNow = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

/** One running instance. */
export interface CoherenceWorker {
  readonly name: string;
  readonly historyFile: string;
  /** Resolves once its store is connected (and its near cache active, when it has one). */
  readonly ready: Promise<{ active: boolean }>;
  readonly exited: Promise<void>;
  /** Asks it to stop, waits until it has written its history (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** A sample of the near cache's figures, recorded every 500 ms. */
export interface StatsSample {
  t: number;
  active: boolean;
  hits: number;
  misses: number;
  flushes: number;
}

/** One putMany or deleteMany call, as an instance recorded it (its keys are also in `ops`). */
export interface BatchCall {
  /** The instance that made it. */
  by: string;
  /** Whether it wrote or deleted its keys. */
  kind: 'put' | 'delete';
  /** The keys it was sent for. */
  keys: string[];
  /** Whether it was acknowledged. */
  ok: boolean;
  /** The error's code when it failed. */
  err?: string;
}

/** What one instance recorded. */
export interface WorkerHistory {
  ops: HistoryOp[];
  /** Its putMany and deleteMany calls. */
  batches: BatchCall[];
  stats: StatsSample[];
  /** Operations that failed. */
  errors: number;
  /** Failed operations by error code (`TIMEOUT`, `CIRCUIT_OPEN`...). */
  errorCodes: Record<string, number>;
}

/**
 * Starts an instance named `name` that records into `dir`; `settings` are the worker script's
 * (port, keyPrefix, mode, nearCache, keys, timeout, circuitBreaker...), `name` and `historyFile`
 * aside.
 */
export function startCoherenceWorker(
  name: string,
  settings: Record<string, unknown>,
  dir: string,
): CoherenceWorker {
  const historyFile = join(dir, `${name}.jsonl`);
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [WORKER, JSON.stringify({ ...settings, name, historyFile })],
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

/** Reads the history `worker` recorded, its reads and writes attributed to its name. */
export async function readCoherenceHistory(worker: CoherenceWorker): Promise<WorkerHistory> {
  const text = await readFile(worker.historyFile, 'utf8');
  const history: WorkerHistory = { ops: [], batches: [], stats: [], errors: 0, errorCodes: {} };
  const batches = new Map<number, BatchCall>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as {
      op: string;
      k: string;
      v: string | null;
      s: number;
      e: number;
      ok: boolean;
      err?: string;
      /** The batch number, for the keys of one putMany or deleteMany. */
      b?: number;
    } & StatsSample;
    if (entry.op === 'stats') {
      history.stats.push(entry);
      continue;
    }
    if (entry.b !== undefined) {
      const call = batches.get(entry.b);
      if (call !== undefined) {
        call.keys.push(entry.k);
        history.ops.push(opOf(entry, worker.name));
        continue;
      }
      const kind = entry.op === 'delete' ? 'delete' : 'put';
      const started: BatchCall = { by: worker.name, kind, keys: [entry.k], ok: entry.ok };
      if (entry.err !== undefined) started.err = entry.err;
      batches.set(entry.b, started);
      history.batches.push(started);
    }
    if (!entry.ok) {
      history.errors++;
      const code = entry.err ?? 'unknown';
      history.errorCodes[code] = (history.errorCodes[code] ?? 0) + 1;
    }
    history.ops.push(opOf(entry, worker.name));
  }
  return history;
}

/** A recorded line as the checker reads it. */
function opOf(
  entry: { op: string; k: string; v: string | null; s: number; e: number; ok: boolean },
  by: string,
): HistoryOp {
  return {
    kind: entry.op === 'get' ? 'read' : 'write',
    key: entry.k,
    value: entry.v ?? null,
    start: entry.s,
    end: entry.e,
    ok: entry.ok,
    by,
  };
}

/** Writes of null to every key before the run: the state of keys under a new prefix. */
export function initiallyAbsent(keys: readonly string[]): HistoryOp[] {
  return keys.map((key) => ({
    kind: 'write',
    key,
    value: null,
    start: 0,
    end: 0,
    ok: true,
    by: 'initial',
  }));
}
