import {
  PerformanceObserver,
  constants,
  performance,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { filledSubjects, type MemorySubject } from '../support/memory-subjects.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { median } from '../support/measure.js';

// How much of each timed window of bench/cases/memory-ops.ts was garbage collection, and whose:
// the same stores, rounds and windows (`batch` puts of new keys, overwrites and gets,
// one awaited at a time, subjects in rounds that go round them), with every GC pause the process
// reported (perf_hooks 'gc' entries) laid over the windows. With --forced-gc it runs a full
// collection (global.gc, needs --expose-gc) before every window, untimed; with --forced-gc=minor
// a scavenge of the young generation only (both shown to be unfair in bench/notes/investigations.md). Each
// ratio is also given by the process's CPU time in the windows, beside the wall time the bench
// uses. bench/notes/investigations.md quotes its output.
//
//   npx tsc -p bench/tsconfig.json
//   node --expose-gc --max-old-space-size=6144 .tmp/bench/bench/limits/memory-ops-gc.js \
//     1000000 kv-store,map+json,keyv [rounds] [batch] [--forced-gc[=minor]]

const [sizeArg, subjectsArg, roundsArg, batchArg] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'));
const size = Number(sizeArg ?? 1_000_000);
const names = (subjectsArg ?? 'kv-store,map+json,keyv').split(',');
const rounds = Number(roundsArg ?? 5);
const forcedArg = process.argv.find((a) => a.startsWith('--forced-gc'));
/** 'major': a full collection before every window; 'minor': a scavenge (young generation only). */
const forced =
  forcedArg === undefined ? undefined : forcedArg.endsWith('=minor') ? 'minor' : 'major';
const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
if (forced && gc === undefined) throw new Error('--forced-gc needs node --expose-gc');
// As memory-ops picks it, unless given.
const batch = Number(batchArg ?? Math.min(size > 100_000 ? 30_000 : 10_000, Math.floor(size / 5)));
const order = shuffledIndexes(size);
const keys = order.map((i) => sampleKey(i));
const values = order.map((i) => sampleValue(i));
const held = size - batch;

const pauses: Array<{ start: number; end: number; major: boolean }> = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as Array<
    PerformanceEntry & { detail?: { kind: number } }
  >) {
    const kind = entry.detail?.kind ?? 0;
    pauses.push({
      start: entry.startTime,
      end: entry.startTime + entry.duration,
      major: kind !== constants.NODE_PERFORMANCE_GC_MINOR,
    });
  }
});
observer.observe({ entryTypes: ['gc'] });

const subjects = await filledSubjects(names, keys, values, held);

interface Window {
  row: string;
  subject: string;
  round: number;
  start: number;
  end: number;
  /** Microseconds of CPU time of the whole process (every thread) in the window. */
  cpu: number;
}
const windows: Window[] = [];
let gcMs = 0;

async function timed(
  row: string,
  subject: string,
  round: number,
  op: (i: number) => Promise<unknown>,
): Promise<void> {
  if (forced) {
    const started = performance.now();
    (gc as (options: { type: 'minor' | 'major' }) => void)({ type: forced });
    gcMs += performance.now() - started;
  }
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < batch; i++) await op(i);
  const end = performance.now();
  const used = process.cpuUsage(cpu);
  windows.push({ row, subject, round, start, end, cpu: used.user + used.system });
}

let offset = 0;
for (let r = -1; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + 1 + k) % names.length] as string;
    const subject = subjects.get(name) as MemorySubject;
    offset = (offset + batch) % (held - batch + 1);
    const start = offset;
    await timed('put-new', name, r, (i) => subject.put(keys[held + i] as string, values[held + i]));
    await timed('overwrite', name, r, (i) =>
      subject.put(keys[start + i] as string, values[start + i]),
    );
    await timed('get', name, r, (i) => subject.get(keys[start + i] as string));
    await subject.drop(keys.slice(held));
  }
}
await new Promise((resolve) => setTimeout(resolve, 100)); // let the observer deliver
observer.disconnect();

/** Milliseconds of GC pauses (major or minor) inside a window. */
const inside = (w: Window, major: boolean): number =>
  pauses
    .filter((p) => p.major === major)
    .reduce((sum, p) => sum + Math.max(0, Math.min(p.end, w.end) - Math.max(p.start, w.start)), 0);

console.log(
  `${size} keys, ${names.join(', ')}, ${rounds} rounds of ${batch} calls per window${forced ? `, ${forced} GC before every window (${(gcMs / windows.length).toFixed(0)} ms each, untimed)` : ''}`,
);
console.log(
  '| row | subject | k ops/s per round | major GC ms per round | minor GC ms per round |',
);
console.log('| --- | --- | --- | --- | --- |');
const measured = windows.filter((w) => w.round >= 0);
for (const row of ['put-new', 'overwrite', 'get']) {
  for (const name of names) {
    const ws = measured.filter((w) => w.row === row && w.subject === name);
    const rate = ws.map((w) => Math.round(batch / (w.end - w.start)));
    const major = ws.map((w) => inside(w, true).toFixed(0));
    const minor = ws.map((w) => inside(w, false).toFixed(0));
    console.log(
      `| ${row} | ${name} | ${rate.join(' ')} | ${major.join(' ')} | ${minor.join(' ')} |`,
    );
  }
  const ours = measured.filter((w) => w.row === row && w.subject === names[0]);
  for (const name of names.slice(1)) {
    const theirs = measured.filter((w) => w.row === row && w.subject === name);
    const ratios = ours.map((w, r) => {
      const t = theirs[r] as Window;
      return (t.end - t.start) / (w.end - w.start);
    });
    // The same ratio by CPU time of the process: what it would read if the other jobs on the
    // machine took no core away (GC threads' time still counts).
    const cpuRatios = ours.map((w, r) => (theirs[r] as Window).cpu / w.cpu);
    console.log(
      `| ${row} | ${names[0]} vs ${name} | ${ratios.map((x) => x.toFixed(2)).join(' ')} | median ${median(ratios).toFixed(2)}x | by CPU time: ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}, median ${median(cpuRatios).toFixed(2)}x |`,
    );
  }
}
const roundsStart = Math.min(...measured.map((w) => w.start));
const majors = pauses.filter((p) => p.major && p.start >= roundsStart);
console.log(
  `Major GC pauses during the measured rounds: ${majors.length} (${majors.map((p) => (p.end - p.start).toFixed(0)).join(', ')} ms), ${majors.filter((p) => measured.some((w) => p.end > w.start && p.start < w.end)).length} of them inside a timed window`,
);
for (const subject of subjects.values()) await subject.close();
