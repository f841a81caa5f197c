import { isUtf8 } from 'node:buffer';
import { DumpFormatError } from './dump-format-error.js';

/** One line of a dump, without its line end. */
export interface DumpLine {
  /** 1-based line number. */
  number: number;
  /** The line's text (decoded from UTF-8). */
  text: string;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits `readable` into `\n`-terminated lines (a `\r` before the `\n` is dropped) holding at
 * most `maxLineBytes` bytes of the current line at a time: a longer line, even one with no end,
 * throws a {@link DumpFormatError} naming it as soon as the limit is passed, so memory stays
 * bounded by the limit whatever the input. readline, by contrast, builds the whole line as a
 * string first and dies with "Invalid string length" past V8's limit. Bytes that are not UTF-8
 * are refused rather than decoded to U+FFFD. Pulls from `readable` only as lines are consumed.
 */
export async function* readDumpLines(
  readable: NodeJS.ReadableStream,
  maxLineBytes: number,
): AsyncGenerator<DumpLine, void, undefined> {
  let parts: Buffer[] = [];
  let length = 0;
  let number = 0;
  for await (const chunk of readable as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(NEWLINE, start);
      const piece = bytes.subarray(start, end === -1 ? bytes.length : end);
      length += piece.length;
      // One byte of slack: a "\r" right before the "\n" is not part of the line.
      if (length > maxLineBytes + 1) throw tooLong(number + 1, maxLineBytes);
      if (piece.length > 0) parts.push(piece);
      if (end === -1) break;
      number++;
      const text = decodeLine(parts, length, number, maxLineBytes);
      // Dropped before the line is handed on: its bytes must not stay alive while it is parsed.
      parts = [];
      length = 0;
      start = end + 1;
      yield { number, text };
    }
  }
  if (length > 0) {
    const text = decodeLine(parts.splice(0), length, number + 1, maxLineBytes);
    yield { number: number + 1, text };
  }
}

function decodeLine(parts: Buffer[], length: number, number: number, maxLineBytes: number): string {
  let line = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
  if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) {
    line = line.subarray(0, line.length - 1);
  }
  if (line.length > maxLineBytes) throw tooLong(number, maxLineBytes);
  if (!isUtf8(line)) {
    throw new DumpFormatError(number, 'the line is not UTF-8 text (is this a binary file?)');
  }
  return line.toString('utf8');
}

function tooLong(number: number, maxLineBytes: number): DumpFormatError {
  return new DumpFormatError(
    number,
    `the line is longer than ${maxLineBytes} bytes (maxLineBytes); a dump of values this large needs a higher limit`,
  );
}
