import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisStore, type NearCacheTrackingMode } from '../../lib/index.js';
import { reportRounds } from '../support/measure.js';

// argv: comma-separated subjects (tracking modes: 'default', 'broadcast'), percentile (50 or
// 99), quick. Instance A (this process, near cache on) holds a key; instance B (a
// forked process) writes it. A sample is the time from B's put resolving in B to the entry being
// gone in A: the start of A's first get that no longer answers from the near cache. A spins on
// get (yielding to I/O between gets), so the figure's resolution is one spin (microseconds).
// 0 means A dropped the entry before B had its acknowledgement.
const [subjectList = 'default', percentileArg = '50', quick = '0'] = process.argv.slice(2);
const port = Number(process.env.BENCH_REDIS_PORT);
const SAMPLES = quick === '1' ? 50 : 1_000;
const here = dirname(fileURLToPath(import.meta.url));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function measure(mode: NearCacheTrackingMode): Promise<number[]> {
  const prefix = `bench-near-inv-${mode}:`;
  const a = new RedisStore({
    host: '127.0.0.1',
    port,
    keyPrefix: prefix,
    nearCache: { maxEntries: 100, mode },
  });
  await a.connect();
  for (let tries = 0; (await a.getStats()).nearCache?.active !== true; tries++) {
    if (tries > 100) throw new Error('the near cache did not establish tracking');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const b: ChildProcess = fork(join(here, '..', 'support', 'near-cache-writer.js'), [
    String(port),
    prefix,
  ]);
  const replies: Array<(message: { ackAt?: string; ready?: boolean }) => void> = [];
  b.on('message', (message: { ackAt?: string; ready?: boolean }) => replies.shift()?.(message));
  const nextReply = (): Promise<{ ackAt?: string }> =>
    new Promise((resolve) => replies.push(resolve));
  await nextReply();

  const delays: number[] = [];
  await a.put('hot', -1);
  for (let sample = 0; sample < SAMPLES; sample++) {
    const previous = sample - 1;
    // Cache the current value: the first get fills, the second must be a hit.
    await a.get('hot');
    if ((await a.get('hot')) !== previous) throw new Error('A did not read the previous value');
    const ack = nextReply();
    b.send({ key: 'hot', value: sample });
    let goneAt: bigint;
    for (;;) {
      const startedAt = process.hrtime.bigint();
      if ((await a.get('hot')) === sample) {
        goneAt = startedAt;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ackAt = BigInt((await ack).ackAt as string);
    delays.push(Math.max(0, Number(goneAt - ackAt) / 1e6));
  }
  b.send('stop');
  await new Promise((resolve) => b.once('exit', resolve));
  await a.clear();
  await a.close();
  return delays.sort((x, y) => x - y);
}

const values: Record<string, number[]> = {};
for (const mode of subjectList.split(',') as NearCacheTrackingMode[]) {
  values[mode] = [percentile(await measure(mode), Number(percentileArg) / 100)];
}
reportRounds({ [`near-cache-invalidation-p${percentileArg}`]: values });
