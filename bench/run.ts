import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { casesFor, type CaseSpec } from './support/cases.js';
import type { GroupMeasurement, Measurement } from './support/measure.js';
import { mediansOf, pairedRatio, type RunResults, type Samples } from './support/results.js';
import { TARGETS } from './support/targets.js';
import { startBenchRedis, type BenchRedis } from './support/bench-redis.js';

const quick = process.argv.includes('--quick');
// --only=memory,cached-hit-memory runs the cases whose id starts with one of the prefixes.
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const repetitions = quick ? 1 : 3;
const here = dirname(fileURLToPath(import.meta.url));
// Compiled to .tmp/bench/bench; results are written next to the sources.
const sourceDir = join(here, '..', '..', '..', 'bench');

/** Runs a case script in a fresh process and returns the JSON line it printed last. */
function runScript(spec: CaseSpec, subjectArg: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const script = join(here, 'cases', `${spec.script}.js`);
  const args = [...(spec.nodeFlags ?? []), script, subjectArg, ...spec.args, quick ? '1' : '0'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${spec.id}/${subjectArg} exited with ${code}`));
      try {
        resolve(JSON.parse(line));
      } catch (error) {
        reject(
          new Error(`${spec.id}/${subjectArg} printed no measurement: ${out}`, { cause: error }),
        );
      }
    });
  });
}

/** One repetition of a case: subject -> figure, from one process per subject or one for all. */
async function runRepetition(
  spec: CaseSpec,
  subjects: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, number>> {
  if (spec.together) {
    const group = (await runScript(spec, subjects.join(','), env)) as GroupMeasurement;
    return group.values;
  }
  const [subject] = subjects;
  const measurement = (await runScript(spec, subject as string, env)) as Measurement;
  return { [subject as string]: measurement.value };
}

function format(value: number, unit: string): string {
  if (unit === 'ops/s') return `${Math.round(value).toLocaleString('en-US')} ops/s`;
  if (unit === 'ms') return `${value < 1 ? value.toFixed(4) : value.toFixed(1)} ms`;
  return `${Math.round(value)} B/key`;
}

/** How many times better ours is than a peer, from ours / peer (> 1: ours is better). */
function advantage(oursOverPeer: number, unit: string): number {
  return unit === 'ops/s' ? oursOverPeer : 1 / oursOverPeer;
}

async function main(): Promise<void> {
  const cases = casesFor(quick).filter(
    (spec) => !only || only.some((prefix) => spec.id.startsWith(prefix)),
  );
  let redis: BenchRedis | undefined;
  if (cases.some((spec) => spec.redis)) redis = await startBenchRedis();
  const env = { ...process.env, BENCH_REDIS_PORT: String(redis?.port ?? '') };
  const samples: Samples = {};
  const failures: string[] = [];
  const started = Date.now();
  try {
    let done = 0;
    const total = cases.reduce((n, spec) => n + spec.subjects.length * repetitions, 0);
    for (const spec of cases) {
      const values = Object.fromEntries(spec.subjects.map((subject) => [subject, [] as number[]]));
      samples[spec.id] = values;
      // Repetitions go round the subjects (A B C, A B C, ...) rather than A A A, B B B: a slow
      // spell of this shared machine then lands on every subject instead of skewing one ratio.
      for (let r = 0; r < repetitions; r++) {
        const runs = spec.together ? [spec.subjects] : spec.subjects.map((subject) => [subject]);
        for (const subjects of runs) {
          done += subjects.length;
          try {
            const measured = await runRepetition(spec, subjects, env);
            for (const subject of subjects) {
              const value = measured[subject] ?? Number.NaN;
              values[subject]?.push(value);
              process.stderr.write(
                `[${done}/${total}] ${spec.id} ${subject}: ${format(value, spec.unit)}\n`,
              );
            }
          } catch (error) {
            for (const subject of subjects) values[subject]?.push(Number.NaN);
            // One broken case must not throw away the figures of every other case.
            failures.push(`${spec.id} / ${subjects.join(', ')}: ${(error as Error).message}`);
            process.stderr.write(`[${done}/${total}] ${spec.id} ${subjects.join(', ')}: FAILED\n`);
          }
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  const results: RunResults = { figures: mediansOf(samples), samples };
  const { figures } = results;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: redis?.version ?? 'not used',
    date: new Date().toISOString(),
    mode: quick ? 'quick (smoke run, figures not meaningful)' : 'full',
    repetitions,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const lines: string[] = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${quick ? ' -- --quick' : ''}\`. Each figure is the median over ${repetitions} fresh process(es), each the median of several rounds after a warm-up. Repetitions go round the subjects, and each ratio is the median of the ratios within one repetition, where the subjects ran back to back.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; Redis ${machine.redis}; ${machine.date}; ${machine.seconds} s.`,
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
  ];
  let missed = 0;
  for (const target of TARGETS) {
    const outcome = target.check(results);
    if (!outcome) continue;
    if (!outcome.met) missed++;
    lines.push(
      `| ${target.description} | ${outcome.measured} | ${outcome.met ? 'yes' : '**no**'} |`,
    );
  }
  if (missed > 0) {
    lines.push(
      '',
      'Why targets are missed, with the measurements that show it: docs/benchmarks.md.',
    );
  }
  for (const spec of cases) {
    const row = figures[spec.id] as Record<string, number>;
    const ours = spec.subjects[0] as string;
    lines.push(
      '',
      `## ${spec.title}`,
      '',
      ...(spec.together
        ? [
            'Every subject measured in each process, in rounds of calls that go round the subjects.',
            '',
          ]
        : []),
      '| subject | median | ours vs it |',
      '| --- | --- | --- |',
    );
    for (const subject of spec.subjects) {
      const value = row[subject];
      if (value === undefined) {
        lines.push(`| ${subject} | failed | |`);
        continue;
      }
      const paired = subject === ours ? undefined : pairedRatio(results, spec.id, ours, subject);
      const ratio = paired === undefined ? '' : `${advantage(paired, spec.unit).toFixed(2)}x`;
      lines.push(`| ${subject} | ${format(value, spec.unit)} | ${ratio} |`);
    }
  }
  lines.push(
    '',
    '"ours vs it" above 1 means nestjs-kv-store is better (faster, or fewer bytes). lru-cache and cache-manager keep object references (callers can mutate cached values), so they do less work than a store that isolates values by serializing.',
    '',
  );
  const suffix = quick ? '.quick' : '';
  if (failures.length > 0)
    lines.push('## Failed measurements', '', ...failures.map((f) => `- ${f}`), '');
  writeFileSync(join(sourceDir, `RESULTS${suffix}.md`), lines.join('\n'));
  writeFileSync(
    join(sourceDir, `results${suffix}.json`),
    `${JSON.stringify({ machine, figures, samples }, null, 2)}\n`,
  );
  process.stderr.write(`Wrote bench/RESULTS${suffix}.md and bench/results${suffix}.json\n`);
  if (failures.length > 0) {
    process.stderr.write(`${failures.length} measurement(s) failed:\n${failures.join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
