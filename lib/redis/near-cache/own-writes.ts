import { isUtf8 } from 'node:buffer';
import type { RawValue } from '../../core/types.js';
import { isForeignTypeMarker } from '../reads/foreign-types.js';
import type { NearCache } from './near-cache.js';

/**
 * Runs a store's own write of `keys` (null: every key), dropping them from the near cache when it
 * is issued and again when it settles: a read sent before the write cannot fill the old value in.
 */
export function ownWrite<T>(
  near: NearCache | undefined,
  keys: readonly string[] | null,
  write: () => Promise<T>,
): Promise<T> {
  if (near === undefined) return write();
  const forget = (): void => (keys === null ? near.forgetAll() : near.forget(keys));
  forget();
  const pending = write();
  pending.then(forget, forget);
  return pending;
}

/**
 * What the near cache holds for a value read as bytes: the bytes for a binary serializer, else
 * the text once it proved to be UTF-8 (so a hit does not check it again); nothing for bytes that
 * are not UTF-8 or a foreign-type marker, whose reads must keep failing.
 */
export function nearCacheForm(raw: RawValue, binary: boolean): RawValue | undefined {
  if (isForeignTypeMarker(raw)) return undefined;
  if (binary || typeof raw === 'string') return raw;
  return isUtf8(raw) ? raw.toString('utf8') : undefined;
}
