import type { KvStore } from '../core/kv-store.js';
import type { DumpEntry } from './dump-format.js';

/** What writing one batch did. */
export interface WriteOutcome {
  /** Entries stored. */
  written: number;
  /** Entries not stored: already expired, or (without overwrite) the key existed in the target. */
  skipped: number;
}

/**
 * Writes a batch into `store`, each entry with the TTL left until its absolute expiry (entries
 * already expired are skipped, never written with a wrong TTL). With `overwrite`, keys without
 * expiry go in one `putMany` and expiring keys in concurrent `put`s (each needs its own TTL and
 * `putMany` takes one); without it, every key goes through `putIfAbsent` and existing keys are
 * skipped (a key given twice in the batch: the first line is written, the repeat skipped).
 * With overwrite, only the last line of a key in the batch is written. Writes are idempotent, so
 * a batch may be written again after a failure. When writes
 * fail, rejects with the failure of the earliest entry of the batch.
 */
export async function writeEntries(
  store: KvStore,
  entries: readonly DumpEntry[],
  overwrite: boolean,
): Promise<WriteOutcome> {
  const now = Date.now();
  const timed: Array<{ entry: DumpEntry; ttl: number | null }> = [];
  // With overwrite, a key on several lines ends as its last line says (batches are written in
  // order, and within a batch only the last line of a key is written) and is counted once.
  const batch = overwrite ? lastLinePerKey(entries) : entries;
  for (const entry of batch) {
    if (entry.expiresAt === null) {
      timed.push({ entry, ttl: null });
    } else if (entry.expiresAt > now) {
      timed.push({ entry, ttl: (entry.expiresAt - now) / 1000 });
    }
  }
  const expired = batch.length - timed.length;
  if (overwrite) {
    const lasting = timed
      .filter((t) => t.ttl === null)
      .map((t) => [t.entry.key, t.entry.value] as const);
    const expiring = timed.filter((t) => t.ttl !== null);
    await settleInOrder([
      lasting.length > 0 ? store.putMany(lasting, { ttl: null }) : Promise.resolve(),
      ...expiring.map(({ entry, ttl }) => store.put(entry.key, entry.value, { ttl })),
    ]);
    return { written: timed.length, skipped: expired };
  }
  const stored = await settleInOrder(
    timed.map(({ entry, ttl }) => store.putIfAbsent(entry.key, entry.value, { ttl })),
  );
  const written = stored.filter(Boolean).length;
  return { written, skipped: expired + (timed.length - written) };
}

/** The entries of a batch with only the last one of each key, in the order of those last lines. */
function lastLinePerKey(entries: readonly DumpEntry[]): readonly DumpEntry[] {
  const last = new Map<string, DumpEntry>();
  for (const entry of entries) {
    last.delete(entry.key);
    last.set(entry.key, entry);
  }
  return last.size === entries.length ? entries : [...last.values()];
}

/** Like `Promise.all`, but waits for every write and rejects with the earliest failure in order. */
async function settleInOrder<T>(writes: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
