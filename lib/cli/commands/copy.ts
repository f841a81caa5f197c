import type { KvStore } from '../../core/kv-store.js';
import { copyStore, type CopyProgress } from '../../migration/copy-store.js';
import { REDIS_DEFAULTS } from '../../redis/options/redis-defaults.js';
import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { plural } from '../plural.js';
import { createProgress, type Progress } from '../progress.js';
import {
  describeSelection,
  SELECTION_FLAGS,
  SELECTION_FLAGS_HELP,
  selectionFrom,
} from '../selection-flags.js';
import { describeStoreTarget, connectStore, optionalInteger, stringFlag } from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store copy`: copies keys, values and remaining TTLs from one Redis store to another. */
export const copyCommand: Command = {
  name: 'copy',
  summary: 'copy keys with their remaining TTLs from one Redis store to another',
  flags: {
    ...SELECTION_FLAGS,
    'from-url': { type: 'string' },
    'from-key-prefix': { type: 'string' },
    'from-serializer': { type: 'string' },
    'to-url': { type: 'string' },
    'to-key-prefix': { type: 'string' },
    'to-serializer': { type: 'string' },
    overwrite: { type: 'boolean' },
    'batch-size': { type: 'string' },
  },
  help: `Usage: kv-store copy --from-url URL --to-url URL [options]

Copies every selected key from the source store to the target store, keeping each key's
remaining TTL (to within milliseconds). Keys that expire during the copy are skipped. The stores
may differ in server, database, key prefix and serializer; a value the target's json serializer
cannot hold exactly (a Date, a BigInt) stops the copy with exit code 4.

Source and target (each --from-X / --to-X falls back to --X, then to the environment):
  --from-url URL --to-url URL            redis://[user[:password]@]host[:port][/db]
  --from-key-prefix TEXT --to-key-prefix TEXT   key prefixes (default data_fetcher:)
  --from-serializer NAME --to-serializer NAME   json (default), rich or pickle
  --url, --key-prefix, --serializer, --timeout  shared defaults of both sides

Options:
  --overwrite          replace keys the target already holds (default: keep them, count as skipped)
  --batch-size N       keys per round trip (default 500)

${SELECTION_FLAGS_HELP}

Examples:
  kv-store copy --from-url redis://old:6379 --to-url redis://new:6379 --key-prefix app:
  kv-store copy --url redis://localhost:6379 --from-key-prefix v1: --to-key-prefix v2: --keys user:`,

  async run(values, positionals, context) {
    if (positionals.length > 0) throw new UsageError('copy takes no positional arguments');
    const batchSize = optionalInteger(stringFlag(values, 'batch-size'), '--batch-size');
    const selection = selectionFrom(values);
    const from = context.storeOptions('from');
    const to = context.storeOptions('to');
    if (
      from.url === to.url &&
      (from.keyPrefix ?? REDIS_DEFAULTS.keyPrefix) === (to.keyPrefix ?? REDIS_DEFAULTS.keyPrefix)
    ) {
      throw new UsageError(
        'source and target are the same store: change --to-url or --to-key-prefix',
      );
    }
    const stores: KvStore[] = [];
    let progress: Progress | undefined;
    const onProgress = (p: CopyProgress): void => {
      progress ??= createProgress({
        enabled: context.showProgress,
        stream: context.io.stderr,
        total: p.total,
        verb: 'copied',
      });
      progress.update(p.copied + p.skipped, { done: p.copied, skipped: p.skipped });
    };
    try {
      const source = await connectStore(from);
      stores.push(source);
      const target = await connectStore(to);
      stores.push(target);
      const result = await copyStore(source, target, {
        ...selection,
        overwrite: values.overwrite === true,
        batchSize,
        signal: context.signal,
        onProgress,
      });
      progress?.stop();
      context.summary(
        `copied ${plural(result.copied, 'key')}${describeSelection(selection)} (${result.skipped} skipped) from ${describeStoreTarget(from)} to ${describeStoreTarget(to)}`,
      );
      return EXIT_CODES.ok;
    } finally {
      progress?.stop();
      await Promise.all(stores.map((store) => store.close()));
    }
  },
};
