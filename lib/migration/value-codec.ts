import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import type { DumpEncoding } from './dump-format.js';
import { jsonLossProblem } from './lossless-json.js';

// Strict base64 (what Buffer#toString('base64') writes): Buffer.from would silently skip junk.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Turns a value into what the `value` field of a dump line holds under `encoding`. Throws a
 * `TypeError` saying why when the encoding cannot hold the value exactly.
 */
export function encodeDumpValue(value: unknown, encoding: DumpEncoding): unknown {
  if (encoding === 'v8') return v8Serialize(value).toString('base64');
  const problem = jsonLossProblem(value);
  if (problem !== undefined) {
    throw new TypeError(`the json dump encoding cannot hold ${problem}; export with encoding v8`);
  }
  return value;
}

/**
 * Turns the `value` field of a dump line back into the value. Throws a `TypeError` saying why
 * when the field is not valid for `encoding`.
 */
export function decodeDumpValue(field: unknown, encoding: DumpEncoding): unknown {
  if (encoding === 'json') return field;
  if (typeof field !== 'string' || !BASE64.test(field)) {
    throw new TypeError('"value" must be base64 text under the v8 encoding');
  }
  try {
    // Structured-clone decoding builds plain data and never runs code from the dump.
    return v8Deserialize(Buffer.from(field, 'base64'));
  } catch (error) {
    throw new TypeError(
      `"value" is not valid v8 structured-clone data (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}
