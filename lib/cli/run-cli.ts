import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from './cli-io.js';
import type { Command, CommandContext, FlagSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { mainHelp, COMMON_FLAGS_HELP } from './help.js';
import { watchOutput } from './output-watch.js';
import { errorReport, exitCodeFor } from './report-error.js';
import { urlSecrets } from './redact.js';
import { STORE_FLAGS, storeOptionsFrom, type FlagValues } from './store-flags.js';
import { UsageError } from './usage-error.js';

const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean' },
} as const satisfies FlagSpec;

/**
 * Runs `kv-store` with `argv` (the arguments after the program name) and resolves its exit code;
 * never throws. Failures are reported on `io.stderr` as one line, without passwords.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  signal: AbortSignal,
): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && command === undefined) return unknownCommand(topic, io);
    (name === undefined ? io.stderr : io.stdout).write(command ? helpOf(command) : mainHelp());
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return unknownCommand(name, io);

  const secrets = urlSecrets(io.env.KV_REDIS_URL ?? '');
  // --verbose is looked for before parsing, so that even a parse failure can show its stack.
  let verbose = rest.includes('--verbose');
  const output = watchOutput(io.stdout, signal);
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...COMMON_FLAGS, ...STORE_FLAGS, ...command.flags },
      allowPositionals: true,
      strict: true,
    });
    const flags = values as FlagValues;
    verbose = flags.verbose === true;
    for (const [flag, value] of Object.entries(flags)) {
      if (flag.endsWith('url') && typeof value === 'string') secrets.push(...urlSecrets(value));
    }
    if (flags.help === true) {
      io.stdout.write(helpOf(command));
      return EXIT_CODES.ok;
    }
    const quiet = flags.quiet === true;
    const context: CommandContext = {
      io,
      signal: output.signal,
      showProgress: !quiet && io.stderr.isTTY === true,
      storeOptions: (side) => storeOptionsFrom(flags, io.env, side),
      summary: (line) => {
        if (!quiet) io.stderr.write(`${line}\n`);
      },
    };
    const code = await command.run(flags, positionals, context);
    const failure = output.failure();
    if (failure !== undefined) throw failure;
    return code;
  } catch (caught) {
    if (output.readerLeft()) return EXIT_CODES.ok;
    const error = output.failure() ?? readableParseError(caught);
    io.stderr.write(errorReport(error, command.name, verbose, secrets));
    return exitCodeFor(error);
  } finally {
    output.stop();
  }
}

/**
 * parseArgs' own wording for an unknown flag runs on with a hint whose quotes do not balance;
 * the flag is named plainly instead.
 */
function readableParseError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !(error instanceof Error)) return error;
  const flag = /^Unknown option '([^']*)'/.exec(error.message)?.[1];
  return flag === undefined ? error : new UsageError(`unknown option ${flag}`);
}

function helpOf(command: Command): string {
  return `${command.help}\n\n${COMMON_FLAGS_HELP}\n`;
}

function unknownCommand(name: string, io: CliIo): ExitCode {
  const error = new UsageError(
    `unknown command ${JSON.stringify(name)}; commands are ${COMMANDS.map((c) => c.name).join(', ')}`,
  );
  io.stderr.write(errorReport(error, '', false, []));
  return EXIT_CODES.usage;
}

function packageVersion(): string {
  // dist/cli/ and lib/cli/ both sit two levels below the package root.
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
