import type { Command } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatValue, parseValueFormat } from '../format-value.js';
import { connectStore, stringFlag, STORE_FLAGS_HELP } from '../store-flags.js';
import { UsageError } from '../usage-error.js';

/** `kv-store get`: prints the value (or remaining TTL) of one key. */
export const getCommand: Command = {
  name: 'get',
  summary: 'print the value of one key (or its remaining TTL with --ttl)',
  flags: {
    format: { type: 'string' },
    ttl: { type: 'boolean' },
  },
  help: `Usage: kv-store get KEY [options]

Prints the value stored under KEY, decoded with the store's serializer, on one line. Exits with
code 7 when the key does not exist.

Options:
  --format auto|json|inspect   auto (default): JSON when JSON shows the value exactly, else
                               Node's inspect (Dates, BigInt, Map under the rich serializer);
                               json: JSON or exit code 2; inspect: always Node's inspect
  --ttl                print the remaining time to live in seconds instead ("none": no expiry)

${STORE_FLAGS_HELP}

Examples:
  kv-store get user:42 --url redis://localhost:6379 --key-prefix app:
  kv-store get session:abc --ttl`,

  async run(values, positionals, context) {
    if (positionals.length !== 1) throw new UsageError('get takes exactly one KEY');
    const key = positionals[0] as string;
    const format = parseValueFormat(stringFlag(values, 'format'));
    const store = await connectStore(context.storeOptions());
    try {
      if (values.ttl === true) {
        const ttl = await store.ttl(key);
        if (ttl === undefined) return notFound(key, context.io.stderr);
        context.io.stdout.write(`${ttl === null ? 'none' : ttl}\n`);
        return EXIT_CODES.ok;
      }
      // A missing key and a stored null differ: ask for a marker no store can hold.
      const missing = Symbol('missing');
      const value = await store.get<unknown>(key, missing);
      if (value === missing) return notFound(key, context.io.stderr);
      context.io.stdout.write(`${formatValue(key, value, format)}\n`);
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};

function notFound(key: string, stderr: NodeJS.WritableStream): typeof EXIT_CODES.notFound {
  stderr.write(`kv-store get: key ${JSON.stringify(key)} not found\n`);
  return EXIT_CODES.notFound;
}
