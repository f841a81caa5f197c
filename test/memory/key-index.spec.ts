import fc from 'fast-check';
import { compareKeys } from '../../lib/core/key-order.js';
import { KeyIndex, type IndexedStore, type MergeThresholds } from '../../lib/memory/key-index.js';

/** Keys mixing ASCII, characters just below and above the surrogates, and astral characters. */
const key = fc
  .array(
    fc.constantFrom(
      'a',
      'b',
      'z',
      '\u00e9',
      '\ud7ff',
      '\ue000',
      '\uffee',
      '\u{1f600}',
      '\u{10400}',
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((parts) => parts.join(''));

interface Held {
  id: number;
  indexed: boolean;
}

/** A store's map as the index sees it: values become the tree's when their key joins it. */
class HeldKeys implements IndexedStore<Held> {
  readonly held = new Map<string, Held>();
  readonly index: KeyIndex<Held>;

  constructor(thresholds?: MergeThresholds) {
    this.index = new KeyIndex(this, thresholds);
  }

  isPending(k: string): boolean {
    const held = this.held.get(k);
    return held !== undefined && !held.indexed;
  }

  claim(k: string): Held | undefined {
    const held = this.held.get(k);
    if (held === undefined || held.indexed) return undefined;
    held.indexed = true;
    return held;
  }

  /** As the store's put: a new key is added to the index, a key held is updated in place. */
  put(k: string, id: number): void {
    const held = this.held.get(k);
    if (held !== undefined) {
      held.id = id;
      return;
    }
    this.held.set(k, { id, indexed: false });
    this.index.add(k);
  }

  /** As the store's delete: the map first, then the index. */
  remove(k: string): void {
    const held = this.held.get(k);
    if (held === undefined) return;
    this.held.delete(k);
    this.index.delete(k, held.indexed);
  }

  clear(): void {
    this.held.clear();
    this.index.clear();
  }

  /** The index's keys from `start`, each with its value's id. */
  listed(start?: string): Array<[string, number]> {
    const pairs: Array<[string, number]> = [];
    for (const [k, v] of this.index.entries(start)) pairs.push([k, v.id]);
    return pairs;
  }

  /** What the index must list: the keys held, in UTF-8 byte order, from `start`. */
  expected(start?: string): Array<[string, number]> {
    return [...this.held.keys()]
      .sort(compareKeys)
      .filter((k) => start === undefined || compareKeys(k, start) >= 0)
      .map((k) => [k, (this.held.get(k) as Held).id]);
  }
}

/**
 * Merge strategies: one by one in arrival order, sorted then one by one, a rebuild (each always,
 * once the tree holds a key), and the measured default.
 */
const thresholds = fc.constantFrom<MergeThresholds | undefined>(
  { sortFrom: 1e9, rebuildFrom: 1e9 },
  { sortFrom: 0, rebuildFrom: 1e9 },
  { sortFrom: 0, rebuildFrom: 0 },
  undefined,
);

const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('add' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const), start: key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);

describe('the memory store key index', () => {
  it('lists keys in UTF-8 byte order whatever order they were added, removed and read in', () => {
    fc.assert(
      fc.property(thresholds, fc.array(step, { maxLength: 80 }), (merge, steps) => {
        const store = new HeldKeys(merge);
        for (const [id, s] of steps.entries()) {
          if (s.op === 'add') store.put(s.key, id);
          else if (s.op === 'delete') store.remove(s.key);
          else if (s.op === 'read') expect(store.listed(s.start)).toEqual(store.expected(s.start));
          else store.clear();
        }
        expect(store.listed()).toEqual(store.expected());
      }),
      { numRuns: 400 },
    );
  });

  it('keeps ASCII keys in order after a high key arrives, and after clear() starts afresh', () => {
    const store = new HeldKeys();
    for (const k of ['b', 'a', 'c']) store.put(k, 0);
    expect(store.listed().map(([k]) => k)).toEqual(['a', 'b', 'c']);
    store.put('\u{1f600}', 1);
    store.put('\uffee', 2);
    expect(store.listed().map(([k]) => k)).toEqual(['a', 'b', 'c', '\uffee', '\u{1f600}']);
    store.clear();
    for (const k of ['y', 'x']) store.put(k, 0);
    expect(store.listed().map(([k]) => k)).toEqual(['x', 'y']);
  });

  it('lists once, with its new value, a key added, deleted and added again before a read, whichever way it merges', () => {
    const ways = [
      { sortFrom: 1e9, rebuildFrom: 1e9 },
      { sortFrom: 0, rebuildFrom: 1e9 },
      undefined,
    ];
    for (const merge of ways) {
      const store = new HeldKeys(merge);
      // A tree that holds keys, so that each way of merging is taken.
      store.put('a', 0);
      store.put('z', 0);
      expect(store.listed()).toEqual([
        ['a', 0],
        ['z', 0],
      ]);
      store.put('k', 1);
      store.remove('k');
      store.put('k', 2);
      store.put('m', 3);
      expect(store.listed()).toEqual([
        ['a', 0],
        ['k', 2],
        ['m', 3],
        ['z', 0],
      ]);
    }
  });

  it('keeps exactly the live keys when thousands are deleted while pending', () => {
    const store = new HeldKeys();
    for (let i = 0; i < 5000; i++) {
      store.put(`churn:${i}`, i);
      if (i % 1000 !== 0) store.remove(`churn:${i}`);
    }
    expect(store.listed().map(([k]) => k)).toEqual([
      'churn:0',
      'churn:1000',
      'churn:2000',
      'churn:3000',
      'churn:4000',
    ]);
    expect(store.index.pending).toBe(0);
  });

  it('does not keep the keys a store that never reads a range deleted, nor repeats of one key', () => {
    const store = new HeldKeys();
    const counters = Array.from({ length: 100 }, (_, i) => `counter:${String(i).padStart(3, '0')}`);
    for (let i = 0; i < 100_000; i++) {
      store.put(`session:${i}`, i);
      store.remove(`session:${i}`);
      // A key deleted and written again leaves a slot behind each time.
      const counter = counters[i % counters.length] as string;
      store.remove(counter);
      store.put(counter, i);
    }
    // Compaction keeps the pending slots within a constant of twice the keys pending.
    expect(store.index.pending).toBeLessThan(2 * (1024 + counters.length));
    expect(store.listed().map(([k]) => k)).toEqual(counters);
  });
});
