/**
 * Longest dump line `importStore` reads by default, in bytes (128 MiB), without its line end.
 * A line is held whole while it is parsed, so this bounds the memory an import needs (a few times
 * the limit); it leaves room for any value a Redis store accepts by default (`maxValueBytes`,
 * 64 MiB), even base64-encoded. Raise it with the `maxLineBytes` option (`--max-line-bytes`).
 */
export const DEFAULT_MAX_DUMP_LINE_BYTES = 128 * 1024 * 1024;

/**
 * Deepest nesting of arrays, objects, Maps and Sets a dump value may have (1,000 levels). Deeper
 * values would overflow the call stack of the serializers that write them; they are refused with
 * a `DumpFormatError` naming the line instead.
 */
export const MAX_DUMP_VALUE_DEPTH = 1000;
