/**
 * Exit codes of the `kv-store` command, stable across releases so that scripts can branch on them.
 */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  ok: 0,
  /** An unexpected failure (a bug, or an error no other code covers). */
  failure: 1,
  /** Bad command line or configuration: unknown command or flag, invalid value or variable. */
  usage: 2,
  /** The Redis server could not be reached, did not answer in time, or refused the credentials. */
  unreachable: 3,
  /** The store refused an operation, or a stored value does not decode with the serializer. */
  store: 4,
  /** The dump file is malformed, cut short or holds values the target cannot keep. */
  badDump: 5,
  /** A file could not be read or written (missing, no permission, already exists). */
  file: 6,
  /** `get`: the key does not exist. */
  notFound: 7,
  /** Interrupted by Ctrl+C (SIGINT) or SIGTERM; the work stopped between batches. */
  interrupted: 130,
} as const;

/** One of the {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
