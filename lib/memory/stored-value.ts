import type { RawValue } from '../core/types.js';
import type { IndexedStore } from './key-index.js';

/**
 * A value as the store keeps it when it has a TTL, or its key is in the ordered index, or the
 * store has served an ordered read. Until then values are kept bare, with no object around them:
 * a cache or a session table never reads in order, and at a million keys a wrapper per key doubled
 * the garbage collector's work on every put of a new key. A key in the index keeps its entry, and
 * the index holds it too, so that an ordered read takes values straight from the tree and a write
 * changes the entry in place. After the first ordered read every new key gets its entry at its
 * put, beside its value in the heap, as a get reads both: the entries a merge gives bare values
 * (see `claim`) lie apart from them, which costs a get of such a key a cache miss more.
 */
export class Entry {
  constructor(
    public raw: RawValue,
    /** Milliseconds since the epoch; 0 when the entry never expires. */
    public expiresAt: number,
    /** Whether the key index holds this entry (see `IndexedStore.claim`). */
    public indexed: boolean,
  ) {}
}

/** What the store's map holds under a key. */
export type Stored = RawValue | Entry;

/** The serialized value, bare or in its entry. */
export function rawOf(stored: Stored): RawValue {
  return stored instanceof Entry ? stored.raw : stored;
}

/** Milliseconds since the epoch at which `stored` expires; 0 when it never does. */
export function expiresAtOf(stored: Stored): number {
  return stored instanceof Entry ? stored.expiresAt : 0;
}

/** Whether `stored` has a TTL that ran out by `now` (epoch milliseconds). */
export function hasExpired(stored: Stored, now: number): boolean {
  return stored instanceof Entry && stored.expiresAt !== 0 && stored.expiresAt <= now;
}

/**
 * How the ordered index sees a store's map: a key is pending until the index claims it, and a
 * bare value gets its entry then.
 */
export function indexedEntries(entries: Map<string, Stored>): IndexedStore<Entry> {
  return {
    isPending: (key) => {
      const stored = entries.get(key);
      return stored !== undefined && !(stored instanceof Entry && stored.indexed);
    },
    claim: (key) => {
      const stored = entries.get(key);
      if (stored === undefined) return undefined;
      if (!(stored instanceof Entry)) {
        const entry = new Entry(stored, 0, true);
        entries.set(key, entry);
        return entry;
      }
      if (stored.indexed) return undefined;
      stored.indexed = true;
      return stored;
    },
  };
}
