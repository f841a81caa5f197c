import sortedBtree from 'sorted-btree';
import { compareKeys } from '../core/key-order.js';

const BTree = sortedBtree.default;

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
 * The memory store's ordered index: keys in UTF-8 byte order (as {@link compareKeys} defines it),
 * each with a value, in a B+ tree.
 *
 * Why not a tree built on `compareKeys` directly: a new key costs about 20 comparisons, and
 * `compareKeys` walks the keys' common prefix in JavaScript, which made it the largest cost of
 * inserting a new key. While no indexed key holds a code unit at or above U+D800 (keys that are
 * ASCII, Latin or most other scripts), every comparison the tree makes has at least one such
 * "narrow" side, so the native comparison gives the same order. The first key with a high unit
 * switches the tree to `compareKeys` for good (until `clear()`), which keeps the order the tree
 * already has, since every key in it was narrow.
 */
export class KeyIndex<V> {
  /** Whether a key with a code unit at or above U+D800 was ever indexed since the last clear. */
  private wide = false;
  private readonly tree = new BTree<string, V>(undefined, (a, b) =>
    this.wide ? compareKeys(a, b) : compareUnits(a, b),
  );

  /** How many keys the index holds. */
  get size(): number {
    return this.tree.size;
  }

  /** Adds `key` with `value`, or replaces the value of a key already indexed. */
  set(key: string, value: V): void {
    if (!this.wide && HIGH_UNIT.test(key)) this.wide = true;
    this.tree.set(key, value);
  }

  /** Removes `key`; returns whether it was indexed. */
  delete(key: string): boolean {
    return this.tree.delete(key);
  }

  /** Removes every key. */
  clear(): void {
    this.tree.clear();
    this.wide = false;
  }

  /**
   * Keys from `start` (inclusive) upwards in UTF-8 byte order, each with its value. Every step
   * yields the same pair array with new contents (a range of a million rows allocates no pairs):
   * read it before taking the next step.
   */
  entries(start?: string): IterableIterator<[string, V]> {
    return this.tree.entries(start, []);
  }
}
