import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname ?? '.', '..', '..');

describe('npm run bench, as a quick smoke run', () => {
  it('measures a memory, a Redis and a @Cached case against their peers and writes the results', async () => {
    await run('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: repo, timeout: 120_000 });
    const { stderr } = await run(
      process.execPath,
      ['.tmp/bench/bench/run.js', '--quick', '--only=memory-get,redis-get-1000,cached-hit-memory'],
      { cwd: repo, timeout: 180_000 },
    );
    expect(stderr).toMatch(/memory-get kv-store: [\d,]+ ops\/s/);
    const results = JSON.parse(
      await readFile(resolve(repo, 'bench/results.quick.json'), 'utf8'),
    ) as {
      figures: Record<string, Record<string, number>>;
    };
    expect(Object.keys(results.figures)).toEqual([
      'memory-get',
      'cached-hit-memory',
      'redis-get-1000',
    ]);
    expect(Object.keys(results.figures['redis-get-1000'] ?? {})).toEqual([
      'kv-store',
      'ioredis',
      'ioredis auto-pipelined',
      'node-redis',
      'keyv + @keyv/redis',
      'cache-manager + @keyv/redis',
    ]);
    for (const row of Object.values(results.figures)) {
      for (const value of Object.values(row)) expect(value).toBeGreaterThan(0);
    }
    const markdown = await readFile(resolve(repo, 'bench/RESULTS.quick.md'), 'utf8');
    expect(markdown).toMatch(/## Redis: get, 1000 in flight/);
  }, 300_000);
});
