import fc from 'fast-check';
import { compareKeys } from '../../lib/core/key-order.js';
import {
  KeyIndex,
  PENDING,
  type IndexedValue,
  type MergeThresholds,
} from '../../lib/memory/key-index.js';

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

interface Value extends IndexedValue {
  id: number;
}

const value = (id: number): Value => ({ id, indexState: PENDING });

function listed(index: KeyIndex<Value>, start?: string): Array<[string, number]> {
  const pairs: Array<[string, number]> = [];
  for (const [k, v] of index.entries(start)) pairs.push([k, v.id]);
  return pairs;
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
        const index = new KeyIndex<Value>(merge);
        const model = new Map<string, Value>();
        const expected = (start?: string): Array<[string, number]> =>
          [...model.keys()]
            .sort(compareKeys)
            .filter((k) => start === undefined || compareKeys(k, start) >= 0)
            .map((k) => [k, (model.get(k) as Value).id]);
        for (const [id, s] of steps.entries()) {
          if (s.op === 'add') {
            // The store adds only keys it does not hold: a key held is overwritten in place.
            if (model.has(s.key)) continue;
            const v = value(id);
            index.add(s.key, v);
            model.set(s.key, v);
          } else if (s.op === 'delete') {
            const v = model.get(s.key);
            if (v === undefined) continue;
            index.delete(s.key, v);
            model.delete(s.key);
          } else if (s.op === 'read') {
            expect(listed(index, s.start)).toEqual(expected(s.start));
          } else {
            index.clear();
            model.clear();
          }
          expect(index.size).toBe(model.size);
        }
        expect(listed(index)).toEqual(expected());
      }),
      { numRuns: 400 },
    );
  });

  it('keeps ASCII keys in order after a high key arrives, and after clear() starts afresh', () => {
    const index = new KeyIndex<Value>();
    for (const k of ['b', 'a', 'c']) index.add(k, value(0));
    expect(listed(index).map(([k]) => k)).toEqual(['a', 'b', 'c']);
    index.add('\u{1f600}', value(1));
    index.add('\uffee', value(2));
    expect(listed(index).map(([k]) => k)).toEqual(['a', 'b', 'c', '\uffee', '\u{1f600}']);
    index.clear();
    for (const k of ['y', 'x']) index.add(k, value(0));
    expect(listed(index).map(([k]) => k)).toEqual(['x', 'y']);
  });

  it('lists a key added, deleted before any read and added again once, with its new value', () => {
    const index = new KeyIndex<Value>();
    const first = value(1);
    index.add('k', first);
    index.delete('k', first);
    index.add('k', value(2));
    expect(listed(index)).toEqual([['k', 2]]);
    expect(index.size).toBe(1);
  });

  it('keeps exactly the live keys when thousands are deleted while pending', () => {
    const index = new KeyIndex<Value>();
    for (let i = 0; i < 5000; i++) {
      const v = value(i);
      index.add(`churn:${i}`, v);
      if (i % 1000 !== 0) index.delete(`churn:${i}`, v);
    }
    expect(index.pending).toBe(5);
    expect(listed(index).map(([k]) => k)).toEqual([
      'churn:0',
      'churn:1000',
      'churn:2000',
      'churn:3000',
      'churn:4000',
    ]);
    expect(index.pending).toBe(0);
  });
});
