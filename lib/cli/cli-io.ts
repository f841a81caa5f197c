/** Where a command reads and writes, so tests and the real process can differ. */
export interface CliIo {
  /** Results: values, keys, dumps written to standard output. */
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Diagnostics: progress, summaries and errors. */
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Dumps read from standard input. */
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Environment variables (`KV_REDIS_URL`...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}
