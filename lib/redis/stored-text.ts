import { isUtf8 } from 'node:buffer';
import { DeserializationError } from '../core/errors.js';
import type { RawValue } from '../core/types.js';

/**
 * The text a text serializer (json, or a custom one without `binary`) is handed for bytes read
 * from Redis. The store reads bytes rather than letting the client decode them, because decoding
 * replaces bytes that are not UTF-8 with U+FFFD and a foreign value would then read as garbage
 * instead of failing; `isUtf8` is a single vectorized pass, cheap beside the parse that follows.
 */
export function storedText(key: string, raw: RawValue): string {
  if (typeof raw === 'string') return raw;
  if (!isUtf8(raw)) throw new DeserializationError(key, 'the stored bytes are not valid UTF-8');
  return raw.toString('utf8');
}
