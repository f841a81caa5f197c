import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';
import type { CliStoreOptions, FlagValues } from './store-flags.js';

/** Flag definitions in the shape of `node:util` `parseArgs` options. */
export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** What a running command may use besides its arguments. */
export interface CommandContext {
  /** Standard streams and environment. */
  readonly io: CliIo;
  /** Aborted on Ctrl+C / SIGTERM: long work stops between batches. */
  readonly signal: AbortSignal;
  /** Whether progress bars may be drawn (stderr is a terminal and `--quiet` was not given). */
  readonly showProgress: boolean;
  /** Store options from flags and environment (`side`: the `--from-*` or `--to-*` flags of copy). */
  storeOptions(side?: 'from' | 'to'): CliStoreOptions;
  /** Writes a one-line summary to stderr, unless `--quiet`. */
  summary(line: string): void;
}

/** One subcommand of `kv-store`. */
export interface Command {
  /** The word that selects it (`export`). */
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The full text `kv-store <name> --help` prints. */
  readonly help: string;
  /** Its own flags, besides the store flags and --help, --verbose, --quiet. */
  readonly flags: FlagSpec;
  /** Does the work; resolves the exit code. Throws for failures, which the runner reports. */
  run(
    values: FlagValues,
    positionals: readonly string[],
    context: CommandContext,
  ): Promise<ExitCode>;
}
