import { SerializationError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { assertKnownOptions } from '../core/validation.js';
import { resolveBatchSize } from './batch-size.js';
import { selectsEverything, type KeySelection } from './key-selection.js';
import { readEntryBatches } from './read-entries.js';
import { valueCheckFor } from './target-check.js';
import { writeEntries } from './write-entries.js';

/** Counts reported while a copy runs and returned at its end. */
export interface CopyProgress {
  /** Keys written into the target so far. */
  copied: number;
  /**
   * Keys not written: they expired or vanished during the copy, or (without `overwrite`) the
   * target already held them.
   */
  skipped: number;
  /** Keys the source held at the start, when the whole store is copied; otherwise absent. */
  total?: number;
}

/** Options of {@link copyStore}. */
export interface CopyOptions extends KeySelection {
  /** Replace keys the target already holds (default false: keep them, count them as skipped). */
  overwrite?: boolean;
  /** Keys read and written per round (default 500). */
  batchSize?: number;
  /** Called after every batch with the running counts. */
  onProgress?: (progress: CopyProgress) => void;
  /** Stops the copy between batches; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

const COPY_OPTIONS = ['prefix', 'range', 'overwrite', 'batchSize', 'onProgress', 'signal'];

/**
 * Copies every selected key (all by default) from `source` to `target`, which may be different
 * backends and serializers, keeping each key's remaining TTL (seconds, millisecond resolution):
 * a key expires in the target when it expires in the source, give or take the milliseconds a
 * write takes to reach the target (TTLs are relative). Keys that expire during the copy are
 * skipped. Reads and writes `batchSize` keys at a time, so the data never sits in
 * memory whole. A value the target's json serializer cannot hold exactly (a Date, a BigInt)
 * rejects with a `SerializationError` before its batch is written. Resolves the final counts.
 */
export async function copyStore(
  source: KvStore,
  target: KvStore,
  options: CopyOptions = {},
): Promise<CopyProgress> {
  assertKnownOptions(options, COPY_OPTIONS, 'copyStore options');
  const batchSize = resolveBatchSize(options.batchSize);
  const check = await valueCheckFor(target);
  const progress: CopyProgress = { copied: 0, skipped: 0 };
  if (selectsEverything(options)) progress.total = (await source.getStats()).totalKeys;
  for await (const batch of readEntryBatches(source, options, batchSize, options.signal)) {
    for (const { key, value } of batch.entries) {
      const problem = check(value);
      if (problem !== undefined) throw new SerializationError(key, problem);
    }
    const outcome = await writeEntries(target, batch.entries, options.overwrite === true);
    progress.copied += outcome.written;
    progress.skipped += outcome.skipped + batch.vanished;
    options.onProgress?.({ ...progress });
  }
  return progress;
}
