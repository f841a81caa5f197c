import { COMMANDS } from './commands/index.js';
import { EXIT_CODES } from './exit-codes.js';

/** Flags every command accepts. */
export const COMMON_FLAGS_HELP = `Common options:
  -h, --help           show the help of the command
  -q, --quiet          no progress bar and no summary line
  --verbose            print errors with their stack trace and causes`;

const EXIT_CODE_HELP: Record<keyof typeof EXIT_CODES, string> = {
  ok: 'success',
  failure: 'unexpected error',
  usage: 'bad command line, flag value or environment variable',
  unreachable: 'Redis unreachable, timed out or refused the credentials',
  store: 'the store refused an operation, or a value does not decode',
  badDump: 'invalid, cut-short or incompatible dump (the message names the line)',
  file: 'a file cannot be read or written',
  notFound: 'get: no such key',
  interrupted: 'interrupted (Ctrl+C); work stopped between batches',
};

/** What `kv-store --help` prints. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  const codes = (Object.keys(EXIT_CODES) as Array<keyof typeof EXIT_CODES>)
    .map((name) => `  ${String(EXIT_CODES[name]).padStart(3)}  ${EXIT_CODE_HELP[name]}`)
    .join('\n');
  return `Usage: kv-store <command> [options]

Moves and inspects the data of nestjs-kv-store Redis stores.

Commands:
${commands}

Run "kv-store <command> --help" for the options of a command.

Stores are given with --url, --key-prefix, --serializer, --timeout or the environment variables
KV_REDIS_URL, KV_KEY_PREFIX, KV_SERIALIZER, KV_REDIS_TIMEOUT (as read by kvStoreOptionsFromEnv).

${COMMON_FLAGS_HELP}
  --version            print the version

Exit codes:
${codes}
`;
}
