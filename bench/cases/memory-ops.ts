import { filledSubjects, type MemorySubject } from '../support/memory-subjects.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs, sequentialRate } from '../support/measure.js';

// argv: subjects, store size, quick. Rows: memory-put-new-<size>, memory-put-overwrite-<size>,
// memory-get-<size>, all one awaited call at a time.
//
// Each subject holds `size - batch` keys, written in a random order. A round then times `batch`
// puts of keys it does not hold (the store grows to `size`), `batch` overwrites and `batch` gets
// of keys it holds, and deletes the new keys again, untimed, for the next round.
//
// At a million keys the batch is 30,000: a young-generation collection (scavenge) there takes 10
// to 17 ms on this machine, and a window of 10,000 calls (25 to 50 ms for the fastest subjects)
// held one or none depending on how full the previous window left the young generation, which
// swung a round by a third. 30,000 calls hold several scavenges of the subject's own making, so
// each subject pays for its own garbage about in proportion (bench/limits/memory-ops-gc.ts,
// bench/notes/investigations.md). At 100k a scavenge takes 3 to 8 ms and the job runs 14 rounds, so 10,000.
const { subjects: names, args, quick } = scriptArgs();
const size = Number(args[0]);
const batch = Math.min(quick ? 1_000 : size > 100_000 ? 30_000 : 10_000, Math.floor(size / 5));
const order = shuffledIndexes(size);
const keys = order.map((i) => sampleKey(i));
const values = order.map((i) => sampleValue(i));
const held = size - batch;

const subjects = await filledSubjects(names, keys, values, held);

let offset = 0;
// At 1M a round swings from 0.2x to 1x of the next on this VM (bench/limits/memory-ops-gc.ts): 11
// rounds, so one slow spell moves the median less.
const rows = await interleavedRounds(names, quick ? 1 : size > 100_000 ? 11 : 7, async (name) => {
  const subject = subjects.get(name) as MemorySubject;
  // A different slice of the held keys each round, so no round reads what the last one warmed.
  offset = (offset + batch) % (held - batch + 1);
  const start = offset;
  const putNew = await sequentialRate(batch, (i) =>
    subject.put(keys[held + i] as string, values[held + i]),
  );
  const overwrite = await sequentialRate(batch, (i) =>
    subject.put(keys[start + i] as string, values[start + i]),
  );
  const get = await sequentialRate(batch, (i) => subject.get(keys[start + i] as string));
  await subject.drop(keys.slice(held));
  return {
    [`memory-put-new-${size}`]: putNew,
    [`memory-put-overwrite-${size}`]: overwrite,
    [`memory-get-${size}`]: get,
  };
});
for (const subject of subjects.values()) await subject.close();
reportRounds(rows);
