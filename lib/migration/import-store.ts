import type { KvStore } from '../core/kv-store.js';
import { assertKnownOptions, assertLimit } from '../core/validation.js';
import { resolveBatchSize } from './batch-size.js';
import type { DumpEntry, DumpHeader } from './dump-format.js';
import { DumpFormatError } from './dump-format-error.js';
import { DEFAULT_MAX_DUMP_LINE_BYTES } from './dump-limits.js';
import { readDumpLines } from './dump-lines.js';
import { END_OF_DUMP, parseBodyLine, parseHeaderLine } from './parse-dump.js';
import { valueCheckFor } from './target-check.js';
import { writeEntries } from './write-entries.js';

/** Counts reported while an import runs and returned at its end. */
export interface ImportProgress {
  /** Keys written into the store so far. */
  imported: number;
  /**
   * Entries not written: already expired, or (without `overwrite`) the store already held the key.
   */
  skipped: number;
  /** Lines of the dump read so far, header included. */
  lines: number;
}

/** Options of {@link importStore}. */
export interface ImportOptions {
  /** Replace keys the store already holds (default false: keep them, count them as skipped). */
  overwrite?: boolean;
  /** Entries written per round (default 500). */
  batchSize?: number;
  /** Called after every batch with the running counts. */
  onProgress?: (progress: ImportProgress) => void;
  /** Stops the import between batches; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Longest line read, in bytes without the line end (default
   * {@link DEFAULT_MAX_DUMP_LINE_BYTES}, 128 MiB); a longer line rejects with a `DumpFormatError`
   * naming it. Bounds the memory an import needs.
   */
  maxLineBytes?: number;
}

const IMPORT_OPTIONS = ['overwrite', 'batchSize', 'onProgress', 'signal', 'maxLineBytes'];

/**
 * Reads a dump written by `exportStore` from `readable`, line by line (never whole), and writes
 * its entries into `store` with the TTL left until each absolute expiry (seconds, millisecond
 * resolution); entries already expired are skipped.
 *
 * Every line is validated before it is written. At the first bad line the import stops with a
 * {@link DumpFormatError} naming the line: every valid line before it has been written, that line
 * and everything after it have not. A dump without its trailer line (cut short) is imported up to
 * its end and then rejected the same way. Writes are idempotent, so after fixing the file the
 * import can simply be run again (without `overwrite`, keys already imported are skipped). A
 * store failure during a write (a lost connection) can leave part of the current batch written.
 * Blank lines after the end line are ignored. A line longer than `maxLineBytes`, or a value
 * nested more than 1,000 levels deep (`MAX_DUMP_VALUE_DEPTH`), is a bad line like any other.
 *
 * A key on several lines: with `overwrite` the last line wins (an already expired last line
 * leaves the key as the store had it) and the key is counted once per batch it appears in;
 * without, the first line wins and the repeats count as skipped. Resolves the final counts.
 */
export async function importStore(
  store: KvStore,
  readable: NodeJS.ReadableStream,
  options: ImportOptions = {},
): Promise<ImportProgress> {
  assertKnownOptions(options, IMPORT_OPTIONS, 'importStore options');
  const batchSize = resolveBatchSize(options.batchSize);
  assertLimit(options.maxLineBytes, 'maxLineBytes');
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_DUMP_LINE_BYTES;
  const overwrite = options.overwrite === true;
  // Listening from the start: a stream that fails while the store is being asked for its
  // serializer rejects the import instead of emitting an unhandled 'error'.
  const listening = (error: unknown): void => void error;
  readable.on('error', listening);
  const progress: ImportProgress = { imported: 0, skipped: 0, lines: 0 };
  let pending: DumpEntry[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    options.signal?.throwIfAborted();
    const outcome = await writeEntries(store, pending, overwrite);
    pending = [];
    progress.imported += outcome.written;
    progress.skipped += outcome.skipped;
    options.onProgress?.({ ...progress });
  };

  let header: DumpHeader | undefined;
  let complete = false;
  let failure: DumpFormatError | undefined;
  try {
    const check = await valueCheckFor(store);
    for await (const { number: line, text } of readDumpLines(readable, maxLineBytes)) {
      progress.lines = line;
      if (header === undefined) {
        header = parseHeaderLine(text);
        continue;
      }
      if (complete) {
        // Editors and `echo >>` leave blank lines at the end of a file; they hold no data.
        if (text.trim() === '') continue;
        throw new DumpFormatError(line, 'text after the end line {"end":true}');
      }
      const parsed = parseBodyLine(text, line, header.encoding, Date.now());
      if (parsed === END_OF_DUMP) {
        complete = true;
        continue;
      }
      const problem = check(parsed.value);
      if (problem !== undefined) {
        throw new DumpFormatError(line, `key ${JSON.stringify(parsed.key)}: ${problem}`);
      }
      pending.push(parsed);
      if (pending.length >= batchSize) await flush();
    }
  } catch (error) {
    if (!(error instanceof DumpFormatError)) throw error;
    failure = error;
  } finally {
    readable.off('error', listening);
  }
  // The lines before a bad one are written: the import is resumable, not all-or-nothing.
  await flush();
  if (failure !== undefined) throw failure;
  if (header === undefined) throw new DumpFormatError(1, 'the dump is empty; expected a header');
  if (!complete) {
    throw new DumpFormatError(
      progress.lines + 1,
      'the dump ends without its end line {"end":true}: it was cut short (every entry before was imported)',
    );
  }
  return progress;
}
