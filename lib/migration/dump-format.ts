/**
 * The dump file format, version 1: JSON Lines (UTF-8, one JSON object per `\n`-terminated line).
 *
 * 1. A header: `{"format":"nestjs-kv-store-dump","version":1,"encoding":"json"|"v8",...}`.
 * 2. One line per key: `{"key":"user:1","value":…,"expiresAt":1764460800123}`; `expiresAt` is
 *    the absolute expiry in milliseconds since the Unix epoch, or `null` for "never expires".
 * 3. A trailer: `{"end":true,"entries":N}`; a dump without it was cut short.
 */

/** The `format` field of every dump header. */
export const DUMP_FORMAT = 'nestjs-kv-store-dump';

/** The dump format version this release writes, and the newest it reads. */
export const DUMP_VERSION = 1;

/**
 * How values are written in a dump: `'json'` puts the value itself on the line (readable, only
 * for values JSON holds exactly); `'v8'` writes the base64 of the value's `node:v8`
 * structured-clone bytes (Date, BigInt, Map, Set, typed arrays, `undefined` inside objects...).
 */
export type DumpEncoding = 'json' | 'v8';

/** Every encoding a version-1 dump may name. */
export const DUMP_ENCODINGS: readonly DumpEncoding[] = ['json', 'v8'];

/** The first line of a dump. */
export interface DumpHeader {
  /** Always {@link DUMP_FORMAT}. */
  format: typeof DUMP_FORMAT;
  /** Format version, {@link DUMP_VERSION} for dumps this release writes. */
  version: number;
  /** How every `value` of the dump is encoded. */
  encoding: DumpEncoding;
  /** Name of the exporting store's serializer (informational). */
  serializer: string;
  /** When the export started, as an ISO 8601 UTC timestamp (informational). */
  exportedAt: string;
}

/** One key of a dump, as `exportStore` reads it and `importStore` writes it back. */
export interface DumpEntry {
  /** The key, without any Redis key prefix. */
  key: string;
  /** The decoded value. */
  value: unknown;
  /** Absolute expiry in milliseconds since the Unix epoch; `null`: never expires. */
  expiresAt: number | null;
}

/** The last line of a complete dump. */
export interface DumpTrailer {
  /** Always true: marks the dump as complete. */
  end: true;
  /** How many key lines precede the trailer (informational: import does not check it). */
  entries: number;
}
