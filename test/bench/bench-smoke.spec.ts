import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname ?? '.', '..', '..');

interface ResultsFile {
  versions: Record<string, string>;
  jobs: Array<{
    job: string;
    seconds: number;
    phases?: { setup?: number; rounds?: number; total: number };
  }>;
  targets: Array<{ description: string; met: boolean; ratio: number }>;
  rows: Record<string, { unit: string; subjects: string[]; samples: Record<string, number[][]> }>;
}

describe('npm run bench, as a quick smoke run', () => {
  it('measures memory, Redis, @Cached and tiered-cache rows against their peers and writes results, versions and a chart', async () => {
    // Build mode: what `npm run bench` compiles, skipped in a second when .tmp/bench is up to date
    // (an incremental `tsc -p` still takes about 5 s to find that out).
    await run('npx', ['tsc', '-b', 'bench/tsconfig.json'], { cwd: repo, timeout: 120_000 });
    const { stderr } = await run(
      process.execPath,
      [
        '.tmp/bench/bench/run.js',
        '--quick',
        '--only=memory-get,redis-get,cached-hit-memory,tiered-',
      ],
      { cwd: repo, timeout: 280_000 },
    );
    expect(stderr).toMatch(/memory-put-new-5000: kv-store [\d,]+ ops\/s/);
    const results = JSON.parse(
      await readFile(resolve(repo, 'bench/results.quick.json'), 'utf8'),
    ) as ResultsFile;
    expect(Object.keys(results.rows)).toEqual(
      expect.arrayContaining([
        'memory-put-new-5000',
        'memory-put-overwrite-5000',
        'memory-get-20000',
        'redis-get-burst',
        'redis-get-window',
        'redis-get-sequential',
        'cached-hit-memory',
        'tiered-l1-hit',
        'tiered-getorset-hit',
        'tiered-invalidation-p99',
        'tiered-cold-key-runs',
        'tiered-paused-p99',
      ]),
    );
    expect(results.rows['tiered-l1-hit']?.subjects).toEqual(
      expect.arrayContaining(['kv-store', 'bentocache', 'node-redis CSC']),
    );
    expect(results.rows['redis-get-burst']?.subjects).toEqual(
      expect.arrayContaining(['kv-store', 'ioredis', 'node-redis 5', 'node-redis 6']),
    );
    // Every subject of every row measured something in its one process: a rate above 0; a time
    // or a count of 0 or more (an invalidation can be seen before the writer's acknowledgement).
    for (const row of Object.values(results.rows)) {
      for (const subject of row.subjects) {
        const rounds = row.samples[subject]?.flat() ?? [];
        expect(rounds.length).toBeGreaterThan(0);
        for (const value of rounds) {
          if (row.unit === 'ops/s') expect(value).toBeGreaterThan(0);
          else expect(value).toBeGreaterThanOrEqual(0);
        }
      }
    }
    // Four processes, one cold key: every subject's loader ran at least once.
    for (const subject of ['kv-store', 'bentocache']) {
      expect(
        results.rows['tiered-cold-key-runs']?.samples[subject]?.[0]?.[0],
      ).toBeGreaterThanOrEqual(1);
    }
    // Where the run's time went: every process, with its set-up apart from its measured rounds.
    expect(stderr).toMatch(/memory-ops 5000 \(1\/1\) took [\d.]+ s \(set-up [\d.]+, warm-up/);
    expect(results.jobs.map((j) => j.job)).toEqual(
      expect.arrayContaining(['memory-ops 5000', 'redis-ops get', 'cached-hit memory']),
    );
    for (const job of results.jobs) {
      expect(job.seconds).toBeGreaterThan(0);
      expect(job.phases?.setup).toBeGreaterThan(0);
      expect(job.phases?.rounds).toEqual(expect.any(Number));
      expect(job.phases?.total).toBeGreaterThanOrEqual(job.phases?.setup ?? Infinity);
    }
    expect(results.versions['node-redis 5']).toMatch(/^@redis\/client 5\./);
    expect(results.versions['node-redis 6']).toMatch(/^redis 6\./);
    expect(results.versions.bentocache).toMatch(/^1\.6\.\d+/);
    expect(results.targets.map((t) => t.description)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Redis get, 1000 issued in one tick/)]),
    );
    const markdown = await readFile(resolve(repo, 'bench/RESULTS.quick.md'), 'utf8');
    expect(markdown).toMatch(/## Redis: get, 1000 issued in one tick, awaited together/);
    expect(markdown).toMatch(/\| node-redis 6 \| redis 6\.\d+\.\d+/);
    const svg = await readFile(resolve(repo, 'bench/results.quick.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Redis get, 1000 issued in one tick');
  }, 330_000);
});
