/** One measured figure printed by a case process as a JSON line on stdout. */
export interface Measurement {
  /** Higher is better for ops/s; lower is better for ms and bytes. */
  value: number;
  unit: 'ops/s' | 'ms' | 'bytes/key';
}

/** The figures of several subjects measured together in one process, printed as one JSON line. */
export interface GroupMeasurement {
  unit: Measurement['unit'];
  /** Subject name -> figure. */
  values: Record<string, number>;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs `op(i)` for i in [0, count) one awaited call at a time, `rounds` times after one warm-up
 * round, and returns the median rate in operations per second.
 */
export async function sequentialRate(
  count: number,
  rounds: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const rates: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const rate = await oneRoundRate(count, op);
    if (round > 0) rates.push(rate);
  }
  return median(rates);
}

/** Rate in operations per second of `count` calls of `op(i)`, one awaited at a time. */
async function oneRoundRate(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op(i);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * Runs `count` calls of `op(i)` keeping `inFlight` of them pending at once, `rounds` times after
 * one warm-up round, and returns the median rate in operations per second.
 */
export async function concurrentRate(
  count: number,
  inFlight: number,
  rounds: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const rates: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await op(next++);
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (round > 0) rates.push(count / seconds);
  }
  return median(rates);
}

/** Median time of `rounds` calls of `op` after `warmup` calls, in milliseconds. */
export async function medianMs(
  rounds: number,
  warmup: number,
  op: () => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await op();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await op();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

/**
 * Sequential rates of several subjects measured in one process: after one warm-up round each,
 * `rounds` rounds of `count` one-at-a-time calls go round the subjects, starting one further
 * along each round. A slow spell of the machine then falls on every subject alike, which
 * separate processes seconds apart cannot promise. Returns each subject's median rate in
 * operations per second.
 */
export async function interleavedSequentialRates(
  ops: Record<string, (i: number) => Promise<unknown>>,
  count: number,
  rounds: number,
): Promise<Record<string, number>> {
  const names = Object.keys(ops);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const timeRound = (name: string): Promise<number> =>
    oneRoundRate(count, ops[name] as (i: number) => Promise<unknown>);
  for (const name of names) await timeRound(name);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as string;
      rates[name]?.push(await timeRound(name));
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(rates[name] as number[])]));
}

/** Prints the figures of subjects measured together for the parent process to collect. */
export function reportGroup(measurement: GroupMeasurement): void {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

/** Prints a measurement for the parent process to collect. */
export function report(measurement: Measurement): void {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}
