import { access, open, rename, rm } from 'node:fs/promises';
import type { DumpEncoding } from '../../migration/dump-format.js';
import { exportStore, type ExportProgress } from '../../migration/export-store.js';
import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { fileAccessError } from '../file-error.js';
import { plural } from '../plural.js';
import { createProgress, type Progress } from '../progress.js';
import {
  describeSelection,
  SELECTION_FLAGS,
  SELECTION_FLAGS_HELP,
  selectionFrom,
} from '../selection-flags.js';
import {
  describeStoreTarget,
  connectStore,
  optionalInteger,
  stringFlag,
  STORE_FLAGS_HELP,
} from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store export`: writes a store's keys, values and expiries to a dump file or stdout. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write keys, values and expiries to a JSON Lines dump (file or stdout)',
  flags: {
    ...SELECTION_FLAGS,
    encoding: { type: 'string' },
    'batch-size': { type: 'string' },
    force: { type: 'boolean' },
  },
  help: `Usage: kv-store export [FILE] [options]

Writes every selected key with its value and absolute expiry to FILE (or to stdout when FILE is
missing or "-") as a versioned JSON Lines dump. A file is written under a temporary name and
renamed when complete, so FILE never holds half a dump.

Options:
  --encoding json|v8   json: values as JSON (json serializer); v8: base64 structured clone
                       (default: json for a json store, v8 otherwise)
  --force              replace FILE if it exists
  --batch-size N       keys per round trip (default 500)

${SELECTION_FLAGS_HELP}

${STORE_FLAGS_HELP}

Examples:
  kv-store export backup.jsonl --url redis://localhost:6379 --key-prefix app:
  KV_REDIS_URL=redis://cache:6379 kv-store export --keys user: > users.jsonl`,

  async run(values, positionals, context) {
    if (positionals.length > 1) throw new UsageError('export takes at most one FILE');
    const file = positionals[0] === '-' ? undefined : positionals[0];
    const encoding = parseEncoding(stringFlag(values, 'encoding'));
    const batchSize = optionalInteger(stringFlag(values, 'batch-size'), '--batch-size');
    const selection = selectionFrom(values);
    const storeOptions = context.storeOptions();
    if (file !== undefined && values.force !== true && (await exists(file))) {
      throw new UsageError(`${file} already exists; pass --force to replace it`);
    }
    const store = await connectStore(storeOptions);
    let progress: Progress | undefined;
    const onProgress = (p: ExportProgress): void => {
      progress ??= createProgress({
        enabled: context.showProgress,
        stream: context.io.stderr,
        total: p.total,
        verb: 'exported',
      });
      progress.update(p.exported + p.skipped, { done: p.exported, skipped: p.skipped });
    };
    const partial = file === undefined ? undefined : `${file}.${process.pid}.partial`;
    try {
      // Opened before anything is written, so a path that cannot be written fails here, in
      // order, instead of as an 'error' event that nobody listens to yet.
      const output =
        partial === undefined
          ? context.io.stdout
          : (
              await open(partial, 'wx').catch((error: unknown) => {
                throw fileAccessError('write', file ?? partial, error);
              })
            ).createWriteStream();
      const result = await exportStore(store, output, {
        ...selection,
        encoding,
        batchSize,
        end: partial !== undefined,
        signal: context.signal,
        onProgress,
      });
      if (file !== undefined && partial !== undefined) await rename(partial, file);
      progress?.stop();
      context.summary(
        `exported ${plural(result.exported, 'key')}${describeSelection(selection)} (${result.skipped} skipped) from ${describeStoreTarget(storeOptions)} to ${file ?? 'stdout'}`,
      );
      return EXIT_CODES.ok;
    } catch (error) {
      if (partial !== undefined) await rm(partial, { force: true });
      const failedFile = typeof (error as NodeJS.ErrnoException).syscall === 'string';
      throw file !== undefined && failedFile ? fileAccessError('write', file, error) : error;
    } finally {
      progress?.stop();
      await store.close();
    }
  },
};

function parseEncoding(text: string | undefined): DumpEncoding | undefined {
  if (text === undefined || text === 'json' || text === 'v8') return text;
  throw new UsageError(`--encoding must be json or v8; got ${JSON.stringify(text)}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
