import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const here = dirname(fileURLToPath(import.meta.url));
const prefix = `bench-tiered-cold-${process.pid}:`;

interface Reply {
  runs: number;
  ms: number;
  answered: boolean;
}

const instances = Array.from({ length: INSTANCES }, () => {
  const child = fork(join(here, '..', 'support', 'tiered-cold-worker.js'), [
    subjects.join(','),
    String(port),
    prefix,
  ]);
  const replies: Array<(message: Reply) => void> = [];
  child.on('message', (message: Reply) => replies.shift()?.(message));
  return {
    child,
    nextReply: (): Promise<Reply> => new Promise((resolve) => replies.push(resolve)),
  };
});
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
for (const { child } of instances) {
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
}
reportRounds(rows);
