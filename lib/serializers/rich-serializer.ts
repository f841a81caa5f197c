import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import { parseDecimalText } from './decimal-text.js';
import type { Serializer } from './serializer.js';

// Every V8 serialization starts with this version tag; plain decimal text never does.
const V8_VERSION_TAG = 0xff;

/**
 * The rich serializer (alias `'pickle'`): Node's structured clone (`node:v8`), which round-trips
 * Date, Map, Set, BigInt, RegExp, typed arrays, Buffer, `undefined` inside objects, NaN,
 * ±Infinity, -0 and circular references exactly, and never runs code while decoding.
 * Finite numbers are stored as decimal text so that Redis can increment them atomically.
 */
export const richSerializer: Serializer = {
  name: 'rich',
  binary: true,
  serialize(value: unknown): Uint8Array {
    if (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)) {
      return Buffer.from(String(value), 'latin1');
    }
    return v8Serialize(value);
  },
  deserialize(raw: string | Buffer): unknown {
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    if (bytes.length > 0 && bytes[0] === V8_VERSION_TAG) return v8Deserialize(bytes);
    return parseDecimalText(bytes.toString('latin1'));
  },
};
