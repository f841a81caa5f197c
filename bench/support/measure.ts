import type { RoundsReport, ScriptPhases } from './job.js';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The value at fraction `p` (0.99: p99) of an ascending list: the one at floor(p x length). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Seconds elapsed since `started` (from process.hrtime.bigint()). */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Rate in operations per second of `count` calls of `op(i)`, one awaited at a time. */
export async function sequentialRate(
  count: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op(i);
  return count / secondsSince(started);
}

/**
 * Rate of `count` calls issued in bursts of `burst` calls in one tick, each burst awaited
 * together before the next (a hand-written fan-out, a batch job).
 */
export async function burstRate(
  count: number,
  burst: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = process.hrtime.bigint();
  const calls: Array<Promise<unknown>> = new Array<Promise<unknown>>(burst);
  for (let base = 0; base < count; base += burst) {
    const size = Math.min(burst, count - base);
    calls.length = size;
    for (let j = 0; j < size; j++) calls[j] = op(base + j);
    await Promise.all(calls);
  }
  return count / secondsSince(started);
}

/**
 * Rate of `count` calls made by `workers` workers, each awaiting its call and then issuing the
 * next (a busy web server: a sliding window of `workers` calls in flight).
 */
export async function windowRate(
  count: number,
  workers: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return count / secondsSince(started);
}

/** Median time in milliseconds of `calls` calls of `op`, one at a time. */
export async function medianMs(calls: number, op: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await op();
    times.push(secondsSince(started) * 1000);
  }
  return median(times);
}

/** Where this process's time went so far; `mark` is where the next set-up phase starts. */
const phases: Omit<ScriptPhases, 'total'> & { mark: number } = { mark: 0 };

/**
 * Measures every subject in this one process: one warm-up round each, then `rounds` rounds that
 * go round the subjects, starting one further along each round. Round r of every subject ran
 * within seconds of round r of the others, so their ratio is a paired comparison: a slow spell
 * of the shared machine falls on both sides. `round(subject)` measures one round and returns one
 * figure per row id. Returns row id -> subject -> figure per round.
 */
export async function interleavedRounds(
  subjects: readonly string[],
  rounds: number,
  round: (subject: string) => Promise<Record<string, number>>,
): Promise<RoundsReport['rows']> {
  const rows: RoundsReport['rows'] = {};
  const bySubject = (phases.subjects ??= {});
  const timed = async (subject: string): Promise<Record<string, number>> => {
    const started = process.uptime();
    const figures = await round(subject);
    bySubject[subject] = (bySubject[subject] ?? 0) + process.uptime() - started;
    return figures;
  };
  const setupEnd = process.uptime();
  for (const subject of subjects) await timed(subject);
  const warmupEnd = process.uptime();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < subjects.length; k++) {
      const subject = subjects[(r + k) % subjects.length] as string;
      for (const [row, value] of Object.entries(await timed(subject))) {
        ((rows[row] ??= {})[subject] ??= Array.from({ length: rounds }, () => Number.NaN))[r] =
          value;
      }
    }
  }
  // A script may call this more than once: the phases add up.
  phases.setup = (phases.setup ?? 0) + setupEnd - phases.mark;
  phases.warmup = (phases.warmup ?? 0) + warmupEnd - setupEnd;
  phases.rounds = (phases.rounds ?? 0) + process.uptime() - warmupEnd;
  phases.mark = process.uptime();
  return rows;
}

/**
 * Measures every subject at once in each of `rounds` rounds, for conditions that every subject
 * must meet together (a paused server: one pause per round, the subjects' calls running side by
 * side during it). `round()` returns row id -> subject -> figure; no warm-up round (the caller
 * warms the subjects as part of each round). Returns row id -> subject -> figure per round.
 */
export async function sharedRounds(
  rounds: number,
  round: () => Promise<Record<string, Record<string, number>>>,
): Promise<RoundsReport['rows']> {
  const rows: RoundsReport['rows'] = {};
  const setupEnd = process.uptime();
  for (let r = 0; r < rounds; r++) {
    for (const [row, bySubject] of Object.entries(await round())) {
      for (const [subject, value] of Object.entries(bySubject)) {
        ((rows[row] ??= {})[subject] ??= Array.from({ length: rounds }, () => Number.NaN))[r] =
          value;
      }
    }
  }
  phases.setup = (phases.setup ?? 0) + setupEnd - phases.mark;
  phases.warmup = phases.warmup ?? 0;
  phases.rounds = (phases.rounds ?? 0) + process.uptime() - setupEnd;
  phases.mark = process.uptime();
  return rows;
}

/**
 * Rates (ops/s) of calls awaited one at a time, for every subject, measured in blocks of `block`
 * calls that alternate between the subjects (A B C, then B C A, ...) until each made `count`
 * calls; `rounds` such rounds after a warm-up block each. For calls bound by a round trip, whose
 * time on a shared VM swings twofold within seconds, rounds that each take one subject a second
 * cannot tell 10% apart; blocks of milliseconds put every subject under the same conditions.
 * `op(subject, i)` makes call `i` of `subject`. Returns subject -> rate per round.
 */
export async function alternatingSequentialRounds(
  subjects: readonly string[],
  rounds: number,
  count: number,
  block: number,
  op: (subject: string, i: number) => Promise<unknown>,
): Promise<Record<string, number[]>> {
  const rates: Record<string, number[]> = {};
  for (const subject of subjects) {
    for (let i = 0; i < block; i++) await op(subject, i);
    rates[subject] = [];
  }
  const cycles = Math.ceil(count / block);
  const started = process.uptime();
  for (let r = 0; r < rounds; r++) {
    const nanos = new Map<string, bigint>(subjects.map((subject) => [subject, 0n]));
    for (let c = 0; c < cycles; c++) {
      for (let k = 0; k < subjects.length; k++) {
        const subject = subjects[(c + k) % subjects.length] as string;
        const base = c * block;
        const blockStarted = process.hrtime.bigint();
        for (let i = base; i < base + block; i++) await op(subject, i);
        nanos.set(subject, (nanos.get(subject) as bigint) + process.hrtime.bigint() - blockStarted);
      }
    }
    for (const subject of subjects) {
      (rates[subject] as number[]).push((cycles * block * 1e9) / Number(nanos.get(subject)));
    }
  }
  phases.rounds = (phases.rounds ?? 0) + process.uptime() - started;
  return rates;
}

const round2 = (seconds: number): number => Math.round(seconds * 100) / 100;

/**
 * Prints the figures for the parent process to collect (its last stdout line), with where the
 * process spent its time.
 */
export function reportRounds(rows: RoundsReport['rows']): void {
  const spent: ScriptPhases = { total: round2(process.uptime()) };
  for (const key of ['setup', 'warmup', 'rounds'] as const) {
    const seconds = phases[key];
    if (seconds !== undefined) spent[key] = round2(seconds);
  }
  if (phases.subjects) {
    spent.subjects = Object.fromEntries(
      Object.entries(phases.subjects).map(([subject, seconds]) => [subject, round2(seconds)]),
    );
  }
  const report: RoundsReport = { rows, phases: spent };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The script's arguments: comma-separated subjects, the job's own arguments, the quick flag. */
export function scriptArgs(): { subjects: string[]; args: string[]; quick: boolean } {
  const argv = process.argv.slice(2);
  return {
    subjects: (argv[0] ?? '').split(',').filter(Boolean),
    args: argv.slice(1, -1),
    quick: argv[argv.length - 1] === '1',
  };
}
