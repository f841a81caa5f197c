import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STALENESS_WINDOW_MS } from '../redis/near-cache/support/near-cache-helpers.js';
import { checkCoherence, describeViolation, type HistoryOp } from '../support/coherence-checker.js';
import {
  historyNow,
  initiallyAbsent,
  readCoherenceHistory,
  startCoherenceWorker,
  type CoherenceWorker,
  type WorkerHistory,
} from '../support/coherence-workers.js';
import { startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { assertBuiltCli } from '../cli/run-cli-process.js';

/**
 * Three application instances, each in its own process with the near cache and the circuit
 * breaker on, read and write 8 keys while Redis is paused with SIGSTOP long enough for every
 * breaker to open, then resumed. The coherence checker then goes over every read: none may return
 * a value superseded more than the near cache's bound (`STALENESS_WINDOW_MS`) earlier, before,
 * during or after the pause. A control instance that never drops a copy runs beside them, so the
 * check is seen to bite on this very history.
 */
const TIMEOUT_S = 1;
const BREAKER = { failures: 3, duration: 1 };
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
const CONTROL = 'control-never-invalidated';
const now = historyNow;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A line of a worker's history file, as far as the waits below look at it. */
interface Recorded {
  op: string;
  k: string;
  v: string | null;
  s: number;
  ok: boolean;
  err?: string;
}

/** What `worker` has recorded so far (a line still being written is left out). */
async function recordedSoFar(worker: CoherenceWorker): Promise<Recorded[]> {
  const text = await readFile(worker.historyFile, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Recorded);
}

/** Resolves once `done` holds for what the workers have recorded, or after `ms`. */
async function untilRecorded(
  of: readonly CoherenceWorker[],
  done: (recorded: Map<string, Recorded[]>) => boolean,
  ms: number,
): Promise<void> {
  const deadline = now() + ms;
  while (now() < deadline) {
    const recorded = new Map<string, Recorded[]>();
    for (const worker of of) recorded.set(worker.name, await recordedSoFar(worker));
    if (done(recorded)) return;
    await pause(100);
  }
}

let server: RedisProcess | undefined;
let dir: string | undefined;
const workers: CoherenceWorker[] = [];

afterAll(async () => {
  if (server !== undefined) process.kill(server.pid, 'SIGCONT');
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('circuit breaker across instances', () => {
  it('after Redis returns, every instance sees writes made after recovery within the near cache bound, with no stale read', async () => {
    assertBuiltCli();
    server = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'kv-breaker-instances-'));
    const common = {
      port: server.port,
      keyPrefix: uniquePrefix('breaker-instances'),
      mode: 'default',
      keys: KEYS,
      sharedKeys: ['k0', 'k1', 'k2'],
      rareKeys: ['k6', 'k7'],
      timeout: TIMEOUT_S,
      circuitBreaker: BREAKER,
      maxMs: 60_000,
      pauseMs: 2,
    };
    for (let i = 1; i <= 3; i++) {
      workers.push(
        startCoherenceWorker(`instance-${i}`, { ...common, ownKeys: [`k${2 + i}`] }, dir),
      );
    }
    workers.push(
      startCoherenceWorker(CONTROL, { ...common, mode: 'never-invalidated', ownKeys: [] }, dir),
    );
    const ready = await Promise.all(workers.map((w) => w.ready));
    expect(ready.slice(0, 3).every((r) => r.active)).toBe(true);

    const instanceWorkers = workers.filter((w) => w.name !== CONTROL);
    // Long enough for every instance to have read every key a few times (about 150 reads each).
    await pause(500);
    const pausedAt = now();
    process.kill(server.pid, 'SIGSTOP');
    // Until every instance has had a call refused by its open breaker, after three timeouts; the
    // check below fails if one never had.
    await untilRecorded(
      instanceWorkers,
      (recorded) =>
        [...recorded.values()].every((ops) => ops.some((op) => op.err === 'CIRCUIT_OPEN')),
      10 * TIMEOUT_S * 1000,
    );
    process.kill(server.pid, 'SIGCONT');
    const resumedAt = now();
    const recovered = resumedAt + BREAKER.duration * 1000 + TIMEOUT_S * 1000;
    // Until every instance has read a value another wrote after the recovery (checked below),
    // and reads of twice the bound past it can be checked; at most 4 s, as before.
    await untilRecorded(
      workers,
      (recorded) =>
        now() > recovered + 2 * STALENESS_WINDOW_MS &&
        instanceWorkers.every(({ name }) => {
          const others = new Set(
            [...recorded]
              .filter(([by]) => by !== name && by !== CONTROL)
              .flatMap(([, ops]) => ops)
              .filter((op) => op.op !== 'get' && op.ok && op.s > recovered)
              .map((op) => `${op.k}=${op.v}`),
          );
          return (recorded.get(name) ?? []).some(
            (op) => op.op === 'get' && op.ok && op.s > recovered && others.has(`${op.k}=${op.v}`),
          );
        }),
      4000,
    );
    await Promise.all(workers.map((w) => w.stop()));

    const histories = new Map<string, WorkerHistory>();
    for (const worker of workers) histories.set(worker.name, await readCoherenceHistory(worker));
    const instances = workers.filter((w) => w.name !== CONTROL).map((w) => w.name);
    // Every key starts absent (the prefix is new).
    const writes = [
      ...initiallyAbsent(KEYS),
      ...[...histories.values()].flatMap((h) => h.ops.filter((op) => op.kind === 'write')),
    ];
    const readsOf = (name: string): HistoryOp[] =>
      (histories.get(name) as WorkerHistory).ops.filter((op) => op.kind === 'read');
    const check = (names: readonly string[]) =>
      checkCoherence({
        ops: [...writes, ...names.flatMap(readsOf)],
        boundMs: STALENESS_WINDOW_MS,
        phases: [
          { name: 'Redis paused', start: pausedAt },
          { name: 'Redis resumed', start: resumedAt },
        ],
      });

    // Every instance's breaker opened: calls failed at once rather than waiting out the pause.
    for (const name of instances) {
      const refused = (histories.get(name) as WorkerHistory).errorCodes.CIRCUIT_OPEN ?? 0;
      expect([name, refused > 0]).toEqual([name, true]);
    }
    // Once the breaker has had its duration and a probe, each instance reads what the others wrote
    // after the recovery.
    for (const name of instances) {
      const othersWrites = new Set(
        writes
          .filter((w) => w.ok && w.by !== name && w.start > recovered)
          .map((w) => `${w.key}=${w.value}`),
      );
      const seen = readsOf(name).filter(
        (r) => r.ok && r.start > recovered && othersWrites.has(`${r.key}=${r.value}`),
      );
      expect({ name, readsOfOthersWritesAfterRecovery: seen.length > 0 }).toEqual({
        name,
        readsOfOthersWritesAfterRecovery: true,
      });
    }
    const report = check(instances);
    const control = check([CONTROL]);
    console.log(
      `circuit breaker across instances: Redis paused ${Math.round(resumedAt - pausedAt)} ms, ` +
        `${report.total.reads} reads checked ` +
        `(${instances.flatMap(readsOf).filter((r) => r.start < pausedAt).length} before the pause, ` +
        `${instances.flatMap(readsOf).filter((r) => r.start > recovered).length} after the recovery), ` +
        `${report.violations.length} past the ${STALENESS_WINDOW_MS} ms bound (stalest within it ` +
        `${Math.round(report.total.maxStalenessMs)} ms); refused at once: ` +
        instances
          .map(
            (name) => `${name} ${(histories.get(name) as WorkerHistory).errorCodes.CIRCUIT_OPEN}`,
          )
          .join(', ') +
        `; control flagged on ${control.violations.length} of ${control.total.reads} reads`,
    );
    expect(report.total.reads).toBeGreaterThan(500);
    expect(report.violations.slice(0, 5).map((v) => describeViolation(v, pausedAt))).toEqual([]);
    // The control keeps every copy and is flagged on this same history.
    expect(control.violations.length).toBeGreaterThan(0);
  }, 60_000);
});
