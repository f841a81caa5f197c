import type { RoundsReport } from './job.js';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
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
  for (const subject of subjects) await round(subject);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < subjects.length; k++) {
      const subject = subjects[(r + k) % subjects.length] as string;
      for (const [row, value] of Object.entries(await round(subject))) {
        ((rows[row] ??= {})[subject] ??= Array.from({ length: rounds }, () => Number.NaN))[r] =
          value;
      }
    }
  }
  return rows;
}

/** Prints the figures for the parent process to collect (its last stdout line). */
export function reportRounds(rows: RoundsReport['rows']): void {
  process.stdout.write(`${JSON.stringify({ rows } satisfies RoundsReport)}\n`);
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
