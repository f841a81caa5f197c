import { once } from 'node:events';
import { DEFAULT_MIGRATION_BATCH_SIZE } from '../../migration/batch-size.js';
import { selectionBounds } from '../../migration/key-selection.js';
import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatValue, parseValueFormat } from '../format-value.js';
import { SELECTION_FLAGS, SELECTION_FLAGS_HELP, selectionFrom } from '../selection-flags.js';
import { connectStore, optionalInteger, stringFlag, STORE_FLAGS_HELP } from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store range`: prints the keys and values of a prefix or range, in key order. */
export const rangeCommand: Command = {
  name: 'range',
  summary: 'print the keys and values of a prefix or range, in key order',
  flags: {
    ...SELECTION_FLAGS,
    limit: { type: 'string' },
    'keys-only': { type: 'boolean' },
    format: { type: 'string' },
  },
  help: `Usage: kv-store range [PREFIX] [options]

Prints "KEY<TAB>VALUE" per line for every key that starts with PREFIX (every key when PREFIX is
missing), in UTF-8 byte order of the keys, values decoded with the store's serializer. A key that
holds a control character (a tab, a newline, the NUL of @Cached tag rows) is printed as a JSON
string ("tag\u0000x"), so every line stays one key. Streams: any number of keys can be listed.

Options:
  --limit N            print at most N keys
  --keys-only          print the keys alone
  --format auto|json|inspect   how values are shown (see kv-store get --help)

${SELECTION_FLAGS_HELP}

${STORE_FLAGS_HELP}

Examples:
  kv-store range user: --url redis://localhost:6379 --key-prefix app: --limit 20
  kv-store range --start 2026-01 --end 2026-02 --keys-only | wc -l`,

  async run(values, positionals, context) {
    if (positionals.length > 1) throw new UsageError('range takes at most one PREFIX');
    const selection = selectionFrom(values, positionals[0]);
    const limit = optionalInteger(stringFlag(values, 'limit'), '--limit');
    const format = parseValueFormat(stringFlag(values, 'format'));
    const keysOnly = values['keys-only'] === true;
    const [startKey, endKey] = selectionBounds(selection);
    const { stdout } = context.io;
    const store = await connectStore(context.storeOptions());
    try {
      const rows = store.iterate(startKey, endKey, {
        limit,
        batchSize: Math.min(limit ?? DEFAULT_MIGRATION_BATCH_SIZE, DEFAULT_MIGRATION_BATCH_SIZE),
      });
      for await (const [key, value] of rows) {
        context.signal.throwIfAborted();
        const shown = printableKey(key);
        const line = keysOnly ? `${shown}\n` : `${shown}\t${formatValue(key, value, format)}\n`;
        // Respect backpressure: a slow reader (a pager) must not make the output pile up here.
        if (!stdout.write(line)) await once(stdout, 'drain');
      }
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};

/** The key as printed: as it is, or as a JSON string when it holds a C0 control or DEL. */
function printableKey(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return JSON.stringify(key);
  }
  return key;
}
