import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, SerializationError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { describeValue } from '../core/describe-value.js';
import { assertKnownOptions } from '../core/validation.js';
import { resolveBatchSize } from './batch-size.js';
import {
  DUMP_ENCODINGS,
  DUMP_FORMAT,
  DUMP_VERSION,
  type DumpEncoding,
  type DumpEntry,
  type DumpHeader,
  type DumpTrailer,
} from './dump-format.js';
import { selectsEverything, type KeySelection } from './key-selection.js';
import { readEntryBatches } from './read-entries.js';
import { encodeDumpValue } from './value-codec.js';

/** Counts reported while an export runs and returned at its end. */
export interface ExportProgress {
  /** Keys written to the dump so far. */
  exported: number;
  /** Keys that expired or vanished between being listed and being read. */
  skipped: number;
  /** Keys the store held at the start, when the whole store is exported; otherwise absent. */
  total?: number;
}

/** Options of {@link exportStore}. */
export interface ExportOptions extends KeySelection {
  /**
   * How values are written: `'json'` (readable; refuses values JSON cannot hold exactly) or
   * `'v8'` (base64 of `node:v8` structured-clone bytes, for any value). Default: `'json'` for a
   * store with the json serializer, `'v8'` for any other.
   */
  encoding?: DumpEncoding;
  /** Keys read per round (default 500); one round's lines are written as one chunk. */
  batchSize?: number;
  /** End `writable` when the dump is complete (default true), and wait until it has flushed. */
  end?: boolean;
  /** Called after every batch with the running counts. */
  onProgress?: (progress: ExportProgress) => void;
  /** Stops the export between batches; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

const EXPORT_OPTIONS = ['prefix', 'range', 'encoding', 'batchSize', 'end', 'onProgress', 'signal'];

/**
 * Writes the selected keys of `store` (all by default) to `writable` as a version-1 JSON Lines
 * dump (see `dump-format.ts`): a header, one line per key with its value and absolute expiry
 * (epoch milliseconds, or null), and a trailer that marks the dump complete. Streams with
 * backpressure: one batch of keys is in memory at a time. Resolves the final counts once every
 * line has been handed to `writable` (and, with `end`, flushed).
 */
export async function exportStore(
  store: KvStore,
  writable: NodeJS.WritableStream,
  options: ExportOptions = {},
): Promise<ExportProgress> {
  assertKnownOptions(options, EXPORT_OPTIONS, 'exportStore options');
  const batchSize = resolveBatchSize(options.batchSize);
  if (options.encoding !== undefined && !DUMP_ENCODINGS.includes(options.encoding)) {
    throw new InvalidArgumentError(
      `encoding must be 'json' or 'v8'; got ${describeValue(options.encoding)}`,
    );
  }
  const stats = await store.getStats();
  const progress: ExportProgress = { exported: 0, skipped: 0 };
  if (selectsEverything(options)) progress.total = stats.totalKeys;
  const header: DumpHeader = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    encoding: options.encoding ?? (stats.serializer === 'json' ? 'json' : 'v8'),
    serializer: stats.serializer,
    exportedAt: new Date().toISOString(),
  };

  async function* lines(): AsyncGenerator<string, void, undefined> {
    yield `${JSON.stringify(header)}\n`;
    for await (const batch of readEntryBatches(store, options, batchSize, options.signal)) {
      let chunk = '';
      for (const entry of batch.entries) chunk += `${entryLine(entry, header.encoding)}\n`;
      progress.exported += batch.entries.length;
      progress.skipped += batch.vanished;
      yield chunk;
      options.onProgress?.({ ...progress });
    }
    const trailer: DumpTrailer = { end: true, entries: progress.exported };
    yield `${JSON.stringify(trailer)}\n`;
  }

  // A small buffer: backpressure from `writable` reaches the store reads after a batch or two.
  await pipeline(Readable.from(lines(), { highWaterMark: 2 }), writable, {
    end: options.end ?? true,
  });
  return progress;
}

function entryLine(entry: DumpEntry, encoding: DumpEncoding): string {
  let value: unknown;
  try {
    value = encodeDumpValue(entry.value, encoding);
  } catch (error) {
    throw new SerializationError(
      entry.key,
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
  return JSON.stringify({ key: entry.key, value, expiresAt: entry.expiresAt });
}
