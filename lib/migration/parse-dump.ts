import { KvStoreError } from '../core/errors.js';
import { MAX_TTL_SECONDS } from '../core/ttl.js';
import { assertKey } from '../core/validation.js';
import {
  DUMP_ENCODINGS,
  DUMP_FORMAT,
  DUMP_VERSION,
  type DumpEncoding,
  type DumpEntry,
  type DumpHeader,
} from './dump-format.js';
import { DumpFormatError } from './dump-format-error.js';
import { MAX_DUMP_VALUE_DEPTH } from './dump-limits.js';
import { nestsDeeperThan } from './value-depth.js';
import { decodeDumpValue } from './value-codec.js';

/** What {@link parseBodyLine} returns for the trailer line. */
export const END_OF_DUMP = Symbol('end of dump');

const ENTRY_FIELDS = new Set(['key', 'value', 'expiresAt']);
const TRAILER_FIELDS = new Set(['end', 'entries']);

/** Parses and validates the first line of a dump; throws {@link DumpFormatError} naming line 1. */
export function parseHeaderLine(text: string): DumpHeader {
  const line = 1;
  // Editors on Windows may add a byte order mark; it is not part of the JSON.
  const fields = parseObject(text.replace(/^\uFEFF/, ''), line);
  if (fields.format !== DUMP_FORMAT) {
    throw new DumpFormatError(
      line,
      `not a ${DUMP_FORMAT} file: the first line must be its header {"format":"${DUMP_FORMAT}",...}`,
    );
  }
  const { version, encoding } = fields;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new DumpFormatError(line, `"version" must be a positive integer; got ${show(version)}`);
  }
  if (version > DUMP_VERSION) {
    throw new DumpFormatError(
      line,
      `format version ${version} is newer than this release reads (${DUMP_VERSION}); upgrade nestjs-kv-store`,
    );
  }
  if (!DUMP_ENCODINGS.includes(encoding as DumpEncoding)) {
    throw new DumpFormatError(
      line,
      `"encoding" must be one of ${DUMP_ENCODINGS.join(', ')}; got ${show(encoding)}`,
    );
  }
  return {
    format: DUMP_FORMAT,
    version,
    encoding: encoding as DumpEncoding,
    serializer: typeof fields.serializer === 'string' ? fields.serializer : 'unknown',
    exportedAt: typeof fields.exportedAt === 'string' ? fields.exportedAt : '',
  };
}

/**
 * Parses and validates a line after the header: an entry, or {@link END_OF_DUMP} for the
 * trailer. `now` (epoch milliseconds) bounds how far ahead an expiry may be. Throws
 * {@link DumpFormatError} naming `line`.
 */
export function parseBodyLine(
  text: string,
  line: number,
  encoding: DumpEncoding,
  now: number,
): DumpEntry | typeof END_OF_DUMP {
  const fields = parseObject(text, line);
  if ('end' in fields) {
    assertOnly(fields, TRAILER_FIELDS, line);
    if (fields.end !== true) throw new DumpFormatError(line, `"end" must be true`);
    return END_OF_DUMP;
  }
  assertOnly(fields, ENTRY_FIELDS, line);
  const { key, expiresAt } = fields;
  try {
    assertKey(key, '"key"');
  } catch (error) {
    throw new DumpFormatError(line, reasonOf(error), { cause: error });
  }
  if (!('value' in fields)) throw new DumpFormatError(line, `"value" is missing`);
  if (
    expiresAt !== null &&
    (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0)
  ) {
    throw new DumpFormatError(
      line,
      `"expiresAt" must be null or milliseconds since the Unix epoch; got ${show(expiresAt)}`,
    );
  }
  if (expiresAt !== null && expiresAt - now > MAX_TTL_SECONDS * 1000) {
    throw new DumpFormatError(line, `"expiresAt" is more than ${MAX_TTL_SECONDS} seconds ahead`);
  }
  let value: unknown;
  try {
    value = decodeDumpValue(fields.value, encoding);
  } catch (error) {
    throw new DumpFormatError(line, `key ${JSON.stringify(key)}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  if (value === undefined) {
    throw new DumpFormatError(line, `key ${JSON.stringify(key)}: the value is undefined`);
  }
  if (nestsDeeperThan(value, MAX_DUMP_VALUE_DEPTH)) {
    throw new DumpFormatError(
      line,
      `key ${JSON.stringify(key)}: the value is nested more than ${MAX_DUMP_VALUE_DEPTH} levels deep`,
    );
  }
  return { key, value, expiresAt };
}

function parseObject(text: string, line: number): Record<string, unknown> {
  if (text.trim() === '') throw new DumpFormatError(line, 'the line is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DumpFormatError(line, `not valid JSON (${reasonOf(error)})`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DumpFormatError(line, 'expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function assertOnly(fields: Record<string, unknown>, allowed: Set<string>, line: number): void {
  const unknown = Object.keys(fields).find((name) => !allowed.has(name));
  if (unknown !== undefined) {
    throw new DumpFormatError(
      line,
      `unknown field ${JSON.stringify(unknown)}; expected ${[...allowed].join(', ')}`,
    );
  }
}

function reasonOf(error: unknown): string {
  const message =
    error instanceof KvStoreError || error instanceof Error ? error.message : String(error);
  // JSON.parse quotes the text it choked on: a binary or hostile line must not reach a terminal raw.
  let shown = '';
  for (const c of message) {
    const code = c.charCodeAt(0);
    const control =
      code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    shown += control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return shown;
}

/** Shows a bad field value in a message, shortened so a huge value does not flood the output. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
