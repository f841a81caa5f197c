import { isUtf8 } from 'node:buffer';
import type { Serializer } from './serializer.js';

/**
 * The default serializer: `JSON.stringify` / `JSON.parse`, human-readable in redis-cli.
 * Follows JSON's rules: Dates become ISO strings, nested `undefined` and functions are dropped;
 * BigInt and circular structures are rejected.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  binary: false,
  serialize(value: unknown): string {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError(`JSON cannot represent a value of type ${typeof value}`);
    }
    return text;
  },
  deserialize(raw: string | Buffer): unknown {
    if (typeof raw === 'string') return JSON.parse(raw);
    // toString('utf8') would silently turn foreign bytes into U+FFFD.
    if (!isUtf8(raw)) throw new TypeError('the stored bytes are not valid UTF-8');
    return JSON.parse(raw.toString('utf8'));
  },
};
