import type { KvStore } from '../core/kv-store.js';
import type { DumpEntry } from './dump-format.js';
import { selectionBounds, type KeySelection } from './key-selection.js';

/** One batch read from a store: live entries with their absolute expiry, and keys that vanished. */
export interface ReadBatch {
  /** Entries in key order, each with its absolute expiry (epoch milliseconds) or null. */
  entries: DumpEntry[];
  /** Keys that were listed but had expired or been deleted by the time their TTL was read. */
  vanished: number;
}

/**
 * Walks the selected keys of `store` in key order, `batchSize` at a time, and pairs each value
 * with its absolute expiry. Only one batch is held in memory. Checks `signal` between batches.
 */
export async function* readEntryBatches(
  store: KvStore,
  selection: KeySelection,
  batchSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<ReadBatch, void, undefined> {
  const [startKey, endKey] = selectionBounds(selection);
  let rows: Array<[string, unknown]> = [];
  for await (const row of store.iterate(startKey, endKey, { batchSize })) {
    rows.push(row);
    if (rows.length >= batchSize) {
      signal?.throwIfAborted();
      yield await withExpiry(store, rows);
      rows = [];
    }
  }
  signal?.throwIfAborted();
  if (rows.length > 0) yield await withExpiry(store, rows);
}

async function withExpiry(store: KvStore, rows: Array<[string, unknown]>): Promise<ReadBatch> {
  // The clock is read before the TTLs: the computed expiry comes out earlier than the real one
  // (by up to the round trip), which offsets the latency of the relative TTL written later.
  const readAt = Date.now();
  // Issued together: the Redis store auto-pipelines them into one round trip.
  const ttls = await Promise.all(rows.map(([key]) => store.ttl(key)));
  const entries: DumpEntry[] = [];
  let vanished = 0;
  rows.forEach(([key, value], i) => {
    const ttl = ttls[i];
    if (ttl === undefined) {
      vanished++;
    } else {
      entries.push({
        key,
        value,
        expiresAt: ttl === null ? null : readAt + Math.round(ttl * 1000),
      });
    }
  });
  return { entries, vanished };
}
