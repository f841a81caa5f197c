import { KvStoreError } from '../core/errors.js';

/**
 * A dump line cannot be imported: it is malformed, of an unknown format version, or holds a value
 * the target store cannot keep losslessly; or the dump ends without its trailer. Code
 * `'INVALID_ARGUMENT'`. Every line before `line` was imported; `line` and the rest were not.
 */
export class DumpFormatError extends KvStoreError {
  /** 1-based number of the offending line of the dump. */
  readonly line: number;
  /** What is wrong with the line, without the "Dump line N: " the message starts with. */
  readonly reason: string;

  constructor(line: number, reason: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `Dump line ${line}: ${reason}`, options);
    this.line = line;
    this.reason = reason;
  }
}
