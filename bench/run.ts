import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBenchRedis, type BenchRedis } from './support/bench-redis.js';
import { renderChart, type ChartTarget, type RangeSeries } from './support/chart.js';
import type { CaseModule } from './support/case-module.js';
import type { Job, RoundsReport, ScriptPhases } from './support/job.js';
import { median } from './support/measure.js';
import { formatFigure, renderMarkdown } from './support/report.js';
import { figureOf, type RunResults } from './support/results.js';
import { subjectVersions } from './support/versions.js';

const quick = process.argv.includes('--quick');
// --only=memory-put,cached-hit runs the jobs that have a row whose id starts with a prefix.
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const here = dirname(fileURLToPath(import.meta.url));
// Compiled to .tmp/bench/bench; results are written next to the sources.
const sourceDir = join(here, '..', '..', '..', 'bench');

/** Every bench/cases/*.case.ts, in their `order`. */
async function loadCases(): Promise<CaseModule[]> {
  const files = readdirSync(join(here, 'cases')).filter((f) => f.endsWith('.case.js'));
  const modules = await Promise.all(
    files.sort().map(async (file) => {
      const loaded = (await import(pathToFileURL(join(here, 'cases', file)).href)) as {
        default: CaseModule;
      };
      return loaded.default;
    }),
  );
  return modules.sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}

/** Runs a job's script in a fresh process and returns the rounds it printed last. */
function runJob(job: Job, env: NodeJS.ProcessEnv): Promise<RoundsReport> {
  const script = join(here, 'cases', `${job.script}.js`);
  const args = [
    ...(job.nodeFlags ?? []),
    script,
    job.subjects.join(','),
    ...job.args,
    quick ? '1' : '0',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0)
        return reject(new Error(`${job.script} ${job.args.join(' ')} exited with ${code}`));
      try {
        resolve(JSON.parse(line) as RoundsReport);
      } catch (error) {
        reject(new Error(`${job.script} printed no measurement: ${out}`, { cause: error }));
      }
    });
  });
}

/** One fresh process of a job: its wall time as the runner saw it, and where the script spent it. */
interface JobTiming {
  job: string;
  repetition: number;
  seconds: number;
  phases?: ScriptPhases;
}

/** "12.3 s (set-up 8.1, warm-up 0.4, rounds 3.5)": where a job's process spent its time. */
function describeTiming(timing: JobTiming): string {
  const p = timing.phases;
  const parts =
    p?.setup === undefined
      ? []
      : [
          `set-up ${p.setup.toFixed(1)}`,
          `warm-up ${(p.warmup ?? 0).toFixed(1)}`,
          `rounds ${(p.rounds ?? 0).toFixed(1)}`,
        ];
  return `took ${timing.seconds.toFixed(1)} s${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0] ?? 0;
  const cases = await loadCases();
  const jobs = cases
    .flatMap((c) => c.jobs(quick))
    .filter((job) => !only || job.rows.some((row) => only.some((p) => row.id.startsWith(p))));
  let redis: BenchRedis | undefined;
  if (jobs.some((job) => job.redis)) redis = await startBenchRedis();
  const env = { ...process.env, BENCH_REDIS_PORT: String(redis?.port ?? '') };
  const results: RunResults = { rows: {} };
  const failures: string[] = [];
  const timings: JobTiming[] = [];
  const started = Date.now();
  try {
    for (const row of jobs.flatMap((job) => job.rows.map((r) => ({ row: r, job })))) {
      results.rows[row.row.id] = {
        ...row.row,
        subjects: row.job.subjects,
        samples: Object.fromEntries(row.job.subjects.map((s) => [s, [] as number[][]])),
      };
    }
    const runRepetitions = async (job: Job): Promise<void> => {
      const n = jobs.indexOf(job);
      const repetitions = quick ? 1 : (job.repetitions ?? 1);
      for (let r = 0; r < repetitions; r++) {
        const label = `[${n + 1}/${jobs.length}] ${job.script} ${job.args.join(' ')} (${r + 1}/${repetitions})`;
        const timing: JobTiming = {
          job: `${job.script} ${job.args.join(' ')}`.trim(),
          repetition: r + 1,
          seconds: 0,
        };
        timings.push(timing);
        const jobStarted = Date.now();
        try {
          const report = await runJob(job, env);
          timing.seconds = (Date.now() - jobStarted) / 1000;
          if (report.phases) timing.phases = report.phases;
          process.stderr.write(`${label} ${describeTiming(timing)}\n`);
          for (const row of job.rows) {
            const measured = report.rows[row.id] ?? {};
            for (const subject of job.subjects) {
              results.rows[row.id]?.samples[subject]?.push(measured[subject] ?? []);
            }
            const oursRounds = (measured[job.subjects[0] as string] ?? []).filter(Number.isFinite);
            const ours = oursRounds.length > 0 ? formatFigure(median(oursRounds), row.unit) : '-';
            process.stderr.write(`${label} ${row.id}: kv-store ${ours}\n`);
          }
        } catch (error) {
          // One broken job must not throw away the figures of every other job.
          failures.push(`${label}: ${(error as Error).message}`);
          timing.seconds = (Date.now() - jobStarted) / 1000;
          process.stderr.write(`${label}: FAILED after ${timing.seconds.toFixed(1)} s\n`);
        }
      }
    };
    // A full run measures one process at a time. A smoke run's figures mean nothing and most of
    // its time is process start-up, so its memory-only jobs run beside its Redis jobs: two lanes,
    // one per core, each one process at a time (Redis jobs share the server, so they never overlap).
    const lanes = quick
      ? [jobs.filter((job) => !job.redis), jobs.filter((job) => job.redis)]
      : [jobs];
    await Promise.all(
      lanes.map(async (lane) => {
        for (const job of lane) await runRepetitions(job);
      }),
    );
  } finally {
    await redis?.stop();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const outcomes: ChartTarget[] = [];
  for (const target of cases.flatMap((c) => c.targets)) {
    const outcome = target.check(results);
    if (outcome) outcomes.push({ description: target.description, ...outcome });
  }
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: redis?.version ?? 'not used',
    date: new Date().toISOString(),
    mode: quick ? 'quick (smoke run, figures not meaningful)' : 'full',
    seconds,
    /** One-minute load average of this machine (2 cores shared with other jobs) at start and end. */
    loadAverage: [loadAtStart, os.loadavg()[0] ?? 0].map((load) => Math.round(load * 10) / 10),
  };
  const versions = subjectVersions();
  const missed = outcomes.filter((o) => Number.isFinite(o.threshold) && !o.met).length;
  const machineLine = `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, shared with other jobs (load average ${machine.loadAverage.join(' at start, ')} at end); Node ${machine.node}; Redis ${machine.redis} (the benchmark's own server); ${machine.date}; ${seconds} s.`;
  const notes =
    missed > 0
      ? [
          'Targets missed, and the measurements that show why: bench/notes/investigations.md (the figures there come from `bench/limits/` scripts).',
        ]
      : [];
  const command = `npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only=${only.join(',')}` : ''}`;
  const markdown = renderMarkdown(
    { command, machine: machineLine, versions, notes },
    results,
    outcomes,
    failures,
  );
  const series: RangeSeries[] = [];
  for (const [backend, peer] of [
    ['memory', 'map-filter'],
    ['redis', 'scan-listing'],
  ] as const) {
    for (const subject of ['kv-store', peer]) {
      const points = Object.values(results.rows)
        .filter((row) => row.id.startsWith(`${backend}-range-`))
        .map((row) => ({
          size: Number(row.id.slice(`${backend}-range-`.length)),
          ms: figureOf(results, row.id, subject),
        }))
        .filter((p): p is { size: number; ms: number } => p.ms !== undefined);
      if (points.length > 0) series.push({ label: `${backend}: ${subject}`, points });
    }
  }
  const svg = renderChart(
    outcomes,
    series,
    `nestjs-kv-store benchmark, ${machine.date.slice(0, 10)}, ${machine.mode}`,
  );
  const suffix = quick || only ? '.quick' : '';
  writeFileSync(
    join(sourceDir, `RESULTS${suffix}.md`),
    markdown.replace('(results.svg)', `(results${suffix}.svg)`),
  );
  writeFileSync(join(sourceDir, `results${suffix}.svg`), svg);
  writeFileSync(
    join(sourceDir, `results${suffix}.json`),
    `${JSON.stringify({ machine, versions, targets: outcomes, jobs: timings, rows: results.rows }, null, 2)}\n`,
  );
  for (const o of outcomes) {
    const met = Number.isFinite(o.threshold) ? (o.met ? 'met' : 'MISSED') : 'reported';
    process.stderr.write(`${met.padEnd(8)} ${o.description}: ${o.measured}\n`);
  }
  process.stderr.write(
    `Wrote bench/RESULTS${suffix}.md, results${suffix}.json and results${suffix}.svg in ${seconds} s\n`,
  );
  if (failures.length > 0) {
    process.stderr.write(`${failures.length} measurement(s) failed:\n${failures.join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
