import { redisCli, startRedis } from '../../test/support/redis-harness.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { percentile, reportRounds, scriptArgs, sharedRounds } from '../support/measure.js';
import { tieredSubject, type TieredSubject } from '../support/tiered-subjects.js';

// argv: subjects (names of TIERED_SUBJECTS), quick. This script starts its own redis-server and
// pauses it with SIGSTOP (a Redis stuck in a long fork, a failover or a partition looks so to a
// client); no other server is touched. Each round: every subject holds HELD keys in its
// in-process tier (ours: `KvCache.getOrSet` with grace, or `@Cached`, on a near-cached store with
// `timeout: 2`; bentocache: getOrSet, L1 hit, ioredis `commandTimeout` 2 s on its L2;
// node-redis: client-side cache GET), the server is paused, and for WINDOW_MS every subject calls
// for a held key every PACE_MS (its calls side by side with the others', one at a time each),
// then the server resumes. Figures per round and subject, over the calls of the window (a call
// still running when the window ends counts, given up after GIVE_UP_MS):
// - p50 and p99 latency of every call;
// - calls slower than SLOW_MS (the bound issue 23 sets), and calls that failed;
// - p99 after the first wait: over the calls that started once the first call slower than
//   SLOW_MS had ended (a store may wait for Redis once before it serves held values); when no
//   call started after it within the window, that wait itself;
// - loader runs.
const { subjects, quick } = scriptArgs();
const HELD = 10;
const WINDOW_MS = quick ? 1_500 : 6_000;
const SLOW_MS = 50;
const PACE_MS = 50;
/** Longer than any subject's own deadlines: a call still unanswered then is counted as failed. */
const GIVE_UP_MS = 10_000;
const TIMEOUT_SECONDS = 2;
const keys = Array.from({ length: HELD }, (_, i) => sampleKey(i));

const server = await startRedis();
const built = new Map<string, TieredSubject>();
/** Loader runs per subject, since the start. */
const loaderRuns = new Map<string, number>();

/** The call a user of `name` makes for held key `i`. */
function callOf(name: string, subject: TieredSubject): (i: number) => Promise<unknown> {
  const { getOrSet } = subject;
  if (!getOrSet) return (i) => subject.get(keys[i] as string);
  return (i) =>
    getOrSet(keys[i] as string, () => {
      loaderRuns.set(name, (loaderRuns.get(name) ?? 0) + 1);
      return Promise.resolve(sampleValue(i));
    });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `call` (given up after GIVE_UP_MS); resolves its milliseconds and whether it failed. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; failed: boolean }> {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<'gave up'>((resolve) => {
    timer = setTimeout(() => resolve('gave up'), GIVE_UP_MS);
  });
  let failed: boolean;
  try {
    failed = (await Promise.race([call(), giveUp])) === 'gave up';
  } catch {
    failed = true;
  }
  clearTimeout(timer);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, failed };
}

try {
  for (const [n, name] of subjects.entries()) {
    const subject = await tieredSubject(name, {
      port: server.port,
      prefix: `bench-tiered-paused-${n}:`,
      timeout: TIMEOUT_SECONDS,
      maxEntries: 100,
    });
    built.set(name, subject);
    if (!subject.getOrSet) {
      for (let i = 0; i < HELD; i++) await subject.put(keys[i] as string, sampleValue(i));
    }
  }
  const calls = new Map([...built].map(([name, subject]) => [name, callOf(name, subject)]));

  const rows = await sharedRounds(quick ? 1 : 3, async () => {
    // Hold every key: calls until each subject answers all of them (Redis is up).
    for (let pass = 0; pass < 3; pass++) {
      for (const call of calls.values()) for (let i = 0; i < HELD; i++) await call(i);
    }
    await redisCli(server.port, 'PING');
    const figures: Record<string, Record<string, number>> = {};
    const set = (row: string, name: string, value: number): void => {
      (figures[row] ??= {})[name] = value;
    };
    process.kill(server.pid, 'SIGSTOP');
    try {
      const pausedAt = Date.now();
      await Promise.all(
        [...calls].map(async ([name, call]) => {
          const runsBefore = loaderRuns.get(name) ?? 0;
          const calls: Array<{ startedAt: number; ms: number }> = [];
          let failures = 0;
          for (let n = 0; Date.now() - pausedAt < WINDOW_MS; n++) {
            const startedAt = Date.now();
            const { ms, failed } = await timed(() => call(n % HELD));
            calls.push({ startedAt, ms });
            if (failed) failures++;
            await sleep(PACE_MS);
          }
          const sorted = (list: typeof calls): number[] =>
            list.map((c) => c.ms).sort((x, y) => x - y);
          const all = sorted(calls);
          const firstWait = calls.find((c) => c.ms > SLOW_MS);
          const afterWait = firstWait
            ? sorted(calls.filter((c) => c.startedAt >= firstWait.startedAt + firstWait.ms))
            : all;
          set('tiered-paused-p50', name, percentile(all, 0.5));
          set('tiered-paused-p99', name, percentile(all, 0.99));
          set(
            'tiered-paused-p99-after-wait',
            name,
            afterWait.length > 0 ? percentile(afterWait, 0.99) : (firstWait?.ms ?? 0),
          );
          set('tiered-paused-slow', name, all.filter((ms) => ms > SLOW_MS).length);
          set('tiered-paused-failed', name, failures);
          set('tiered-paused-loader-runs', name, (loaderRuns.get(name) ?? 0) - runsBefore);
        }),
      );
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    // Back to normal before the next round: every subject answers every key again.
    for (const [name, call] of calls) {
      for (let i = 0; i < HELD; i++) {
        for (let tries = 0; ; tries++) {
          if (!(await timed(() => call(i))).failed) break;
          if (tries > 50) throw new Error(`${name} did not recover after the pause`);
          await sleep(200);
        }
      }
    }
    return figures;
  });
  for (const subject of built.values()) await subject.close();
  reportRounds(rows);
} finally {
  process.kill(server.pid, 'SIGCONT');
  await server.stop();
}
