import fc from 'fast-check';
import { compareKeys } from '../../lib/core/key-order.js';
import { KeyIndex } from '../../lib/memory/key-index.js';

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

function listed(index: KeyIndex<number>, start?: string): string[] {
  const keys: string[] = [];
  for (const [k] of index.entries(start)) keys.push(k);
  return keys;
}

describe('the memory store key index', () => {
  it('lists keys in UTF-8 byte order whatever order they were added and removed in', () => {
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 60 }),
        fc.array(key, { maxLength: 20 }),
        (added, removed) => {
          const index = new KeyIndex<number>();
          const model = new Set<string>();
          for (const [i, k] of added.entries()) {
            index.set(k, i);
            model.add(k);
            // Removals interleave with additions, before and after the first high key arrives.
            const gone = removed[i];
            if (gone !== undefined) {
              index.delete(gone);
              model.delete(gone);
            }
          }
          expect(listed(index)).toEqual([...model].sort(compareKeys));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('starts a listing at the first key at or after the start key, for narrow and high start keys', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 40 }), key, (added, start) => {
        const index = new KeyIndex<number>();
        for (const [i, k] of added.entries()) index.set(k, i);
        const expected = [...new Set(added)]
          .sort(compareKeys)
          .filter((k) => compareKeys(k, start) >= 0);
        expect(listed(index, start)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps ASCII keys in order after a high key arrives, and after clear() starts afresh', () => {
    const index = new KeyIndex<number>();
    for (const k of ['b', 'a', 'c']) index.set(k, 0);
    index.set('\u{1f600}', 1);
    index.set('\uffee', 2);
    expect(listed(index)).toEqual(['a', 'b', 'c', '\uffee', '\u{1f600}']);
    index.clear();
    for (const k of ['y', 'x']) index.set(k, 0);
    expect(listed(index)).toEqual(['x', 'y']);
  });

  it('replaces the value of a key that is set again', () => {
    const index = new KeyIndex<number>();
    index.set('k', 1);
    index.set('k', 2);
    const pairs: Array<[string, number]> = [];
    for (const [k, v] of index.entries()) pairs.push([k, v]);
    expect(pairs).toEqual([['k', 2]]);
    expect(index.delete('k')).toBe(true);
    expect(index.delete('k')).toBe(false);
  });
});
