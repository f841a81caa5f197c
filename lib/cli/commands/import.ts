import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DumpFormatError } from '../../migration/dump-format-error.js';
import { importStore, type ImportProgress } from '../../migration/import-store.js';
import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { fileAccessError } from '../file-error.js';
import { plural } from '../plural.js';
import { createProgress } from '../progress.js';
import {
  describeStoreTarget,
  connectStore,
  optionalInteger,
  stringFlag,
  STORE_FLAGS_HELP,
} from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store import`: writes the entries of a dump into a store. */
export const importCommand: Command = {
  name: 'import',
  summary: 'write the entries of a dump (file or stdin) into a store, keeping expiries',
  flags: {
    overwrite: { type: 'boolean' },
    'batch-size': { type: 'string' },
    'max-line-bytes': { type: 'string' },
  },
  help: `Usage: kv-store import [FILE] [options]

Reads a dump written by "kv-store export" from FILE (or stdin when FILE is missing or "-") and
writes its entries into the store. Each key gets the time left until its recorded expiry;
entries that have already expired are skipped.

Every line is validated first. At the first bad line the import stops (exit code 5) naming the
line: the lines before it are imported, that line and the rest are not. Imports are idempotent:
fix the file and run the same command again.

Options:
  --overwrite          replace keys the store already holds (default: keep them, count as skipped)
  --batch-size N       entries per round trip (default 500)
  --max-line-bytes N   longest dump line read, in bytes (default 134217728, 128 MiB); a longer
                       line stops the import (exit code 5). Memory use is a few times this.

${STORE_FLAGS_HELP}

Examples:
  kv-store import backup.jsonl --url redis://localhost:6379 --key-prefix app:
  gunzip -c backup.jsonl.gz | kv-store import --overwrite`,

  async run(values, positionals, context) {
    if (positionals.length > 1) throw new UsageError('import takes at most one FILE');
    const file = positionals[0] === '-' ? undefined : positionals[0];
    const batchSize = optionalInteger(stringFlag(values, 'batch-size'), '--batch-size');
    const maxLineBytes = optionalInteger(stringFlag(values, 'max-line-bytes'), '--max-line-bytes');
    const storeOptions = context.storeOptions();
    if (file === undefined && context.io.stdin.isTTY === true) {
      throw new UsageError('give a dump FILE, or pipe a dump into stdin');
    }
    // Checked before connecting, so that a missing file fails at once.
    const size =
      file === undefined
        ? undefined
        : (
            await stat(file).catch((error: unknown) => {
              throw fileAccessError('read', file, error);
            })
          ).size;
    const store = await connectStore(storeOptions);
    // Created once the store is open: from here on readline listens for the stream's errors.
    const input: NodeJS.ReadableStream | ReadStream =
      file === undefined ? context.io.stdin : createReadStream(file);
    const progress = createProgress({
      enabled: context.showProgress,
      stream: context.io.stderr,
      total: size,
      verb: 'imported',
    });
    let last: ImportProgress = { imported: 0, skipped: 0, lines: 0 };
    try {
      const result = await importStore(store, input, {
        overwrite: values.overwrite === true,
        batchSize,
        maxLineBytes,
        signal: context.signal,
        onProgress: (p) => {
          last = p;
          // Bytes read from a file measure progress; from stdin the counts are all there is.
          const position = 'bytesRead' in input ? input.bytesRead : p.imported + p.skipped;
          progress.update(position, { done: p.imported, skipped: p.skipped });
        },
      });
      progress.stop();
      context.summary(
        `imported ${plural(result.imported, 'key')} (${result.skipped} skipped) from ${file ?? 'stdin'} into ${describeStoreTarget(storeOptions)}`,
      );
      return EXIT_CODES.ok;
    } catch (error) {
      if (error instanceof DumpFormatError) {
        throw new DumpFormatError(
          error.line,
          `${error.reason} (${plural(last.imported, 'key')} imported before it, ${last.skipped} skipped)`,
          { cause: error },
        );
      }
      const failedFile = typeof (error as NodeJS.ErrnoException).syscall === 'string';
      throw file !== undefined && failedFile ? fileAccessError('read', file, error) : error;
    } finally {
      progress.stop();
      if (input !== context.io.stdin && 'destroy' in input) input.destroy();
      await store.close();
    }
  },
};
