import { KvStoreError } from '../core/errors.js';
import { DumpFormatError } from '../migration/dump-format-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { FileAccessError } from './file-error.js';
import { redactMessage } from './redact.js';
import { UsageError } from './usage-error.js';

/** The exit code a failure maps to (see {@link EXIT_CODES}). */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT_CODES.usage;
  if (isAbort(error)) return EXIT_CODES.interrupted;
  if (error instanceof DumpFormatError) return EXIT_CODES.badDump;
  if (error instanceof FileAccessError) return EXIT_CODES.file;
  if (error instanceof KvStoreError) {
    switch (error.code) {
      case 'INVALID_ARGUMENT':
      case 'INVALID_OPTIONS':
        return EXIT_CODES.usage;
      case 'CONNECTION':
      case 'TIMEOUT':
        return EXIT_CODES.unreachable;
      default:
        return EXIT_CODES.store;
    }
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return EXIT_CODES.usage;
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
    return EXIT_CODES.file;
  }
  return EXIT_CODES.failure;
}

/**
 * The text printed for a failure: one line (`kv-store <command>: <message>`) with passwords
 * scrubbed, or with `verbose` the stack and every cause, scrubbed too.
 */
export function errorReport(
  error: unknown,
  command: string,
  verbose: boolean,
  secrets: readonly string[],
): string {
  const prefix = command === '' ? 'kv-store' : `kv-store ${command}`;
  if (verbose) {
    const parts: string[] = [];
    let current: unknown = error;
    for (let depth = 0; current !== undefined && depth < 10; depth++) {
      parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
      current = current instanceof Error ? current.cause : undefined;
    }
    return `${prefix}: ${redactMessage(parts.join('\nCaused by: '), secrets)}\n`;
  }
  let message = isAbort(error) ? 'interrupted' : messageOf(error);
  if (exitCodeFor(error) === EXIT_CODES.failure) message = `unexpected error: ${message}`;
  if (error instanceof UsageError || exitCodeFor(error) === EXIT_CODES.usage) {
    message += ` (see kv-store ${command === '' ? '' : `${command} `}--help)`;
  }
  // One line whatever the message holds, so that logs and scripts can rely on it.
  return `${prefix}: ${redactMessage(message, secrets).replace(/\s*\n\s*/g, ' ')}\n`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// By name, not instanceof: AbortSignal's DOMException may come from another realm (a test VM).
function isAbort(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}
