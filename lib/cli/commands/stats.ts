import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { connectStore, STORE_FLAGS_HELP } from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store stats`: prints key counts and server figures of a store. */
export const statsCommand: Command = {
  name: 'stats',
  summary: 'print key counts and server figures of a store',
  flags: {
    json: { type: 'boolean' },
  },
  help: `Usage: kv-store stats [options]

Prints the store's statistics: backend, serializer, live keys (totalKeys), keys with a TTL
(expiringKeys), topology, key prefix, Redis version and memory, one "name: value" per line.

Options:
  --json               print them as one JSON object instead

${STORE_FLAGS_HELP}

Examples:
  kv-store stats --url redis://localhost:6379 --key-prefix app:
  kv-store stats --json | jq .totalKeys`,

  async run(values, positionals, context) {
    if (positionals.length > 0) throw new UsageError('stats takes no positional arguments');
    const store = await connectStore(context.storeOptions());
    try {
      const stats = await store.getStats();
      const { stdout } = context.io;
      if (values.json === true) {
        stdout.write(`${JSON.stringify(stats)}\n`);
      } else {
        for (const [name, value] of Object.entries(stats)) {
          stdout.write(
            `${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`,
          );
        }
      }
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};
