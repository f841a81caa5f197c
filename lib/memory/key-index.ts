import sortedBtree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import { compareKeys } from '../core/key-order.js';

const BTree = sortedBtree.default;
type Tree<V> = ReturnType<typeof bulkLoad<string, V>>;

/** A UTF-16 code unit at or above U+D800: a surrogate, or a character from U+E000 up. */
const HIGH_UNIT = /[\ud800-\uffff]/;

/**
 * Compares by UTF-16 code units, which V8 does natively. It agrees with {@link compareKeys}
 * (code point order) whenever one of the two keys has no code unit at or above U+D800: the two
 * orders can only disagree at a position where both keys hold such a unit.
 */
function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key of a value that {@link KeyIndex.add} recorded waits for the next ordered read. */
export const PENDING = 0;
/** The key is in the tree. */
export const INDEXED = 1;
/** The key was removed while it waited: the next ordered read skips it. */
export const DROPPED = 2;

/** Where a value's key stands in a {@link KeyIndex}. */
export type IndexState = typeof PENDING | typeof INDEXED | typeof DROPPED;

/** A value a {@link KeyIndex} holds: the index keeps its state in it (start it at `PENDING`). */
export interface IndexedValue {
  /** Owned by the index once the value is added. */
  indexState: IndexState;
}

/**
 * How a merge moves its pending keys into the tree, by how many there are per key already in it
 * (`k / n`): below `sortFrom`, one by one in arrival order (so few that they seldom share a path
 * down the tree, and a sort buys little); from `sortFrom`, sorted first, then one by one
 * (neighbours share the path down the tree); from `rebuildFrom`, and always into an empty tree, by
 * rebuilding the tree from one merged sorted pass.
 */
export interface MergeThresholds {
  /** Pending keys per indexed key from which they are sorted before insertion. */
  sortFrom: number;
  /** Pending keys per indexed key from which the tree is rebuilt. */
  rebuildFrom: number;
}

/** Measured by `bench/limits/memory-merge.ts`. */
const DEFAULT_THRESHOLDS: MergeThresholds = { sortFrom: 0.01, rebuildFrom: 1 };

/** Pending slots that were dropped, beyond which the pending list is compacted. */
const COMPACT_SLACK = 1024;

/**
 * The memory store's ordered index: keys in UTF-8 byte order (as {@link compareKeys} defines it),
 * each with a value, in a B+ tree that is brought up to date lazily.
 *
 * Why deferred: a B+ tree insert of a key in a random position costs several times a `Map.set`
 * (about 20 comparisons, each reading a key somewhere in the heap). So {@link add} only appends
 * the key to a pending list, and {@link delete} of a key still pending only marks its value. The
 * first ordered read ({@link entries}) merges the pending keys into the tree (see
 * {@link MergeThresholds}): the first read after many new keys pays for sorting them.
 *
 * Why two comparators: while no indexed key holds a code unit at or above U+D800 (keys that are
 * ASCII, Latin or most other scripts), every comparison has at least one such "narrow" side, so
 * V8's native string comparison gives the same order as `compareKeys`, which walks the keys'
 * common prefix in JavaScript. The first such key to be merged switches the index to
 * `compareKeys` for good (until `clear()`), which keeps the order the tree already has, since
 * every key in it was narrow.
 */
export class KeyIndex<V extends IndexedValue> {
  /** Whether a key with a code unit at or above U+D800 was ever merged since the last clear. */
  private wide = false;
  private readonly compare = (a: string, b: string): number =>
    this.wide ? compareKeys(a, b) : compareUnits(a, b);
  private tree: Tree<V> = new BTree<string, V>(undefined, this.compare);
  /** Keys added since the last merge, with their values at the same positions. */
  private pendingKeys: string[] = [];
  private pendingValues: V[] = [];
  /** How many of the pending values are still `PENDING` (the others were dropped). */
  private livePending = 0;

  /** @param thresholds how merges work (for tests and measurements; the default was measured). */
  constructor(private readonly thresholds: MergeThresholds = DEFAULT_THRESHOLDS) {}

  /** How many keys the index holds, merged or pending. */
  get size(): number {
    return this.tree.size + this.livePending;
  }

  /** How many keys wait for the next ordered read. */
  get pending(): number {
    return this.livePending;
  }

  /**
   * Adds a key the index does not hold, with its value (whose state must be `PENDING`); it joins
   * the tree at the next ordered read. O(1).
   */
  add(key: string, value: V): void {
    this.pendingKeys.push(key);
    this.pendingValues.push(value);
    this.livePending++;
  }

  /** Removes `key`, added with `value`. O(1) while the key is pending, else O(log n). */
  delete(key: string, value: V): void {
    if (value.indexState === INDEXED) {
      this.tree.delete(key);
    } else if (value.indexState === PENDING) {
      this.livePending--;
      // A store that never reads a range must not keep the keys it deleted.
      if (this.pendingKeys.length > 2 * this.livePending + COMPACT_SLACK) this.compact();
    }
    value.indexState = DROPPED;
  }

  /** Removes every key. */
  clear(): void {
    this.tree.clear();
    this.resetPending();
    this.wide = false;
  }

  /**
   * Keys from `start` (inclusive) upwards in UTF-8 byte order, each with its value, pending keys
   * merged first. Every step yields the same pair array with new contents (a range of a million
   * rows allocates no pairs): read it before taking the next step. The index must not change
   * while the iterator is in use.
   */
  entries(start?: string): IterableIterator<[string, V]> {
    if (this.pendingKeys.length !== 0) this.merge();
    return this.tree.entries(start, []);
  }

  /** Moves every pending key into the tree. */
  private merge(): void {
    if (this.livePending < this.tree.size * this.thresholds.sortFrom) {
      this.insertPending();
      return;
    }
    const [keys, values] = this.takeLive();
    if (keys.length === 0) return;
    if (!this.wide && keys.some((key) => HIGH_UNIT.test(key))) this.wide = true;
    const compare = this.wide ? compareKeys : compareUnits;
    const order = keys.map((_, i) => i);
    order.sort((a, b) => compare(keys[a] as string, keys[b] as string));
    const sortedKeys = order.map((i) => keys[i] as string);
    const sortedValues = order.map((i) => values[i] as V);
    if (keys.length < this.tree.size * this.thresholds.rebuildFrom) {
      for (let i = 0; i < sortedKeys.length; i++) {
        this.tree.set(sortedKeys[i] as string, sortedValues[i] as V);
      }
    } else {
      this.rebuild(sortedKeys, sortedValues);
    }
    for (const value of sortedValues) value.indexState = INDEXED;
  }

  /** Inserts the pending keys in arrival order, reusing the pending lists: no allocation. */
  private insertPending(): void {
    const keys = this.pendingKeys;
    const values = this.pendingValues;
    for (let i = 0; i < keys.length; i++) {
      const value = values[i] as V;
      if (value.indexState !== PENDING) continue;
      const key = keys[i] as string;
      // The switch must come before the first high key meets the tree's comparator.
      if (!this.wide && HIGH_UNIT.test(key)) this.wide = true;
      this.tree.set(key, value);
      value.indexState = INDEXED;
    }
    keys.length = 0;
    values.length = 0;
    this.livePending = 0;
  }

  /** Replaces the tree by one built from its keys and `keys` (sorted, none in the tree). */
  private rebuild(keys: string[], values: V[]): void {
    const compare = this.compare;
    if (this.tree.size === 0) {
      this.tree = bulkLoad(keys, values, this.tree.maxNodeSize, compare);
      return;
    }
    const allKeys: string[] = [];
    const allValues: V[] = [];
    let next = 0;
    this.tree.forEachPair((key, value) => {
      while (next < keys.length && compare(keys[next] as string, key) < 0) {
        allKeys.push(keys[next] as string);
        allValues.push(values[next] as V);
        next++;
      }
      allKeys.push(key);
      allValues.push(value);
    });
    for (; next < keys.length; next++) {
      allKeys.push(keys[next] as string);
      allValues.push(values[next] as V);
    }
    this.tree = bulkLoad(allKeys, allValues, this.tree.maxNodeSize, compare);
  }

  /** Empties the pending list; returns the keys still pending and their values. */
  private takeLive(): [string[], V[]] {
    let keys = this.pendingKeys;
    let values = this.pendingValues;
    if (this.livePending !== keys.length) {
      this.compact();
      keys = this.pendingKeys;
      values = this.pendingValues;
    }
    this.resetPending();
    return [keys, values];
  }

  /** Drops the slots of keys deleted while pending. */
  private compact(): void {
    const keys: string[] = [];
    const values: V[] = [];
    for (let i = 0; i < this.pendingValues.length; i++) {
      const value = this.pendingValues[i] as V;
      if (value.indexState !== PENDING) continue;
      keys.push(this.pendingKeys[i] as string);
      values.push(value);
    }
    this.pendingKeys = keys;
    this.pendingValues = values;
  }

  private resetPending(): void {
    this.pendingKeys = [];
    this.pendingValues = [];
    this.livePending = 0;
  }
}
