/**
 * What a row's figures count: `ops/s` higher is better; `ms`, `bytes/key` and `count` (loader
 * runs, failed calls) lower is better.
 */
export type Unit = 'ops/s' | 'ms' | 'bytes/key' | 'count';

/** One table of RESULTS.md: one figure per subject. */
export interface Row {
  /** Stable id used in results.json, targets and `--only`. */
  id: string;
  /** What the row measures, for RESULTS.md. */
  title: string;
  unit: Unit;
}

/**
 * One measurement process: a script under bench/cases run in a fresh process per repetition,
 * measuring every subject of every row in rounds that go round the subjects, so each ratio
 * compares figures taken seconds apart under the same load.
 */
export interface Job {
  /** Script under bench/cases, without extension. */
  script: string;
  /** Arguments after the comma-separated subjects (the quick flag '1'/'0' is appended). */
  args: string[];
  /** Contenders; the first is ours. */
  subjects: string[];
  /** The rows the script reports. */
  rows: Row[];
  /** Fresh processes to run (default 1; always 1 in --quick): pairing comes from the rounds. */
  repetitions?: number;
  /** Extra node flags, such as --expose-gc. */
  nodeFlags?: string[];
  /** Whether the script needs the benchmark's redis-server (its port is in BENCH_REDIS_PORT). */
  redis?: boolean;
}

/**
 * Where a script's time went, in seconds since its process started: set-up (imports, building
 * and filling the subjects), the warm-up round, the measured rounds. Scripts that do not call
 * `interleavedRounds` report only the total.
 */
export interface ScriptPhases {
  setup?: number;
  warmup?: number;
  rounds?: number;
  /** Seconds of warm-up and rounds each subject took. */
  subjects?: Record<string, number>;
  total: number;
}

/** What a case script prints as its last stdout line: row id -> subject -> one figure per round. */
export interface RoundsReport {
  rows: Record<string, Record<string, number[]>>;
  /** Where the script's time went (absent from scripts that print their own line). */
  phases?: ScriptPhases;
}
