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

/**
 * Deletions of pending keys since the last compaction, beyond half the pending slots, from which
 * the pending list is compacted: a store that never reads a range must not keep the keys it
 * deleted.
 */
const COMPACT_SLACK = 1024;

/** What a {@link KeyIndex} asks of the store whose keys it orders. */
export interface IndexedStore<V> {
  /** Whether the store holds `key` and the index has not taken it into the tree yet. */
  isPending(key: string): boolean;
  /**
   * Called as a pending key joins the tree: returns the value the tree keeps beside it (from then
   * on the store updates that value in place), or `undefined` when the key is not pending (the
   * store deleted it, or an earlier slot of the same key joined already).
   */
  claim(key: string): V | undefined;
}

/**
 * The memory store's ordered index: keys in UTF-8 byte order (as {@link compareKeys} defines it),
 * each with a value, in a B+ tree that is brought up to date lazily.
 *
 * Why deferred: a B+ tree insert of a key in a random position costs several times a `Map.set`
 * (about 20 comparisons, each reading a key somewhere in the heap). So {@link add} only appends
 * the key to a pending list, and a key deleted while pending leaves its slot behind. The first
 * ordered read ({@link entries}) merges the pending keys into the tree (see
 * {@link MergeThresholds}), asking the store for each one's value then ({@link IndexedStore}):
 * the first read after many new keys pays for sorting them, and a store that never reads in order
 * never gives a key a value object the tree could hold (at a million keys, a million fewer
 * objects for the garbage collector to move).
 *
 * Why two comparators: while no indexed key holds a code unit at or above U+D800 (keys that are
 * ASCII, Latin or most other scripts), every comparison has at least one such "narrow" side, so
 * V8's native string comparison gives the same order as `compareKeys`, which walks the keys'
 * common prefix in JavaScript. The first such key to be merged switches the index to
 * `compareKeys` for good (until `clear()`), which keeps the order the tree already has, since
 * every key in it was narrow.
 */
export class KeyIndex<V> {
  /** Whether a key with a code unit at or above U+D800 was ever merged since the last clear. */
  private wide = false;
  private readonly compare = (a: string, b: string): number =>
    this.wide ? compareKeys(a, b) : compareUnits(a, b);
  private tree: Tree<V> = new BTree<string, V>(undefined, this.compare);
  /** Keys added since the last merge, in arrival order; some may have been deleted since. */
  private pendingKeys: string[] = [];
  /** Pending keys deleted since the pending list was last compacted or emptied. */
  private deletedSinceCompact = 0;

  /**
   * @param store the store whose keys these are.
   * @param thresholds how merges work (for tests and measurements; the default was measured).
   */
  constructor(
    private readonly store: IndexedStore<V>,
    private readonly thresholds: MergeThresholds = DEFAULT_THRESHOLDS,
  ) {}

  /** Keys in the tree. */
  get indexed(): number {
    return this.tree.size;
  }

  /** Slots waiting for the next ordered read: at least the keys pending, at most twice them plus a constant. */
  get pending(): number {
    return this.pendingKeys.length;
  }

  /** Adds a key the store did not hold; it joins the tree at the next ordered read. O(1). */
  add(key: string): void {
    this.pendingKeys.push(key);
  }

  /**
   * Takes out a key the store deleted: from the tree when `claimed` (its value came from
   * {@link IndexedStore.claim}), O(log n); else it was pending, and its slot is dropped later,
   * amortized O(1).
   */
  delete(key: string, claimed: boolean): void {
    if (claimed) this.tree.delete(key);
    else if (++this.deletedSinceCompact > COMPACT_SLACK + this.pendingKeys.length / 2) {
      this.compact();
    }
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
    if (this.pendingKeys.length < this.tree.size * this.thresholds.sortFrom) {
      this.insertPending();
      return;
    }
    const slots = this.pendingKeys;
    this.resetPending();
    if (!this.wide && slots.some((key) => HIGH_UNIT.test(key))) this.wide = true;
    slots.sort(this.wide ? compareKeys : compareUnits);
    // Deleted keys and second slots of a key drop out here: claim answers for each key once.
    const keys: string[] = [];
    const values: V[] = [];
    for (let i = 0; i < slots.length; i++) {
      const key = slots[i] as string;
      const value = this.store.claim(key);
      if (value === undefined) continue;
      keys.push(key);
      values.push(value);
    }
    if (keys.length < this.tree.size * this.thresholds.rebuildFrom) {
      for (let i = 0; i < keys.length; i++) this.tree.set(keys[i] as string, values[i] as V);
    } else {
      this.rebuild(keys, values);
    }
  }

  /** Inserts the pending keys in arrival order, reusing the pending list: no allocation. */
  private insertPending(): void {
    const keys = this.pendingKeys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = this.store.claim(key);
      if (value === undefined) continue;
      // The switch must come before the first high key meets the tree's comparator.
      if (!this.wide && HIGH_UNIT.test(key)) this.wide = true;
      this.tree.set(key, value);
    }
    keys.length = 0;
    this.deletedSinceCompact = 0;
  }

  /** Replaces the tree by one built from its keys and `keys` (sorted, unique, none in the tree). */
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

  /** Drops the slots of keys no longer pending, and second slots of the same key. */
  private compact(): void {
    const pending = new Set<string>();
    for (const key of this.pendingKeys) if (this.store.isPending(key)) pending.add(key);
    this.pendingKeys = [...pending];
    this.deletedSinceCompact = 0;
  }

  private resetPending(): void {
    this.pendingKeys = [];
    this.deletedSinceCompact = 0;
  }
}
