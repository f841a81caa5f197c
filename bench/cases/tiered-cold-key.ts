import { forkHelper } from '../support/forked.js';
import { interleavedRounds, reportRounds, scriptArgs } from '../support/measure.js';

// argv: subjects ('kv-store': @Cached, 'bentocache': getOrSet), quick. Four instances (forked
// processes with every subject) get the same cold key at once, 25 concurrent callers each, with a
// loader that takes 200 ms. Rows: the loader runs summed over the four instances, and the time
// until the last caller of any instance had the value. Each round uses a fresh key.
const { subjects, quick } = scriptArgs();
const port = Number(process.env.BENCH_REDIS_PORT);
const INSTANCES = 4;
const CALLERS = 25;
const LOADER_MS = 200;
const prefix = `bench-tiered-cold-${process.pid}:`;

interface Reply {
  runs: number;
  ms: number;
  answered: boolean;
}

const instances = Array.from({ length: INSTANCES }, () =>
  forkHelper<Reply>('tiered-cold-worker', [subjects.join(','), String(port), prefix]),
);
await Promise.all(instances.map((i) => i.nextReply()));

let round = 0;
const rows = await interleavedRounds(subjects, quick ? 1 : 5, async (subject) => {
  const key = `cold:${round++}`;
  const replies = instances.map((i) => i.nextReply());
  for (const { child } of instances) {
    child.send({ subject, key, callers: CALLERS, loaderMs: LOADER_MS });
  }
  const done = await Promise.all(replies);
  if (!done.every((r) => r.answered)) throw new Error(`${subject}: a caller got no value`);
  return {
    'tiered-cold-key-runs': done.reduce((sum, r) => sum + r.runs, 0),
    'tiered-cold-key-ms': Math.max(...done.map((r) => r.ms)),
  };
});
for (const instance of instances) await instance.stop();
reportRounds(rows);
