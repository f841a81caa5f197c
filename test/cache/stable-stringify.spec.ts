import { InvalidArgumentError, stableStringify } from '../../lib/index.js';

describe('stableStringify (the argument part of @Cached keys)', () => {
  it('encodes equal data alike whatever the key order, at any depth', () => {
    expect(stableStringify({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe(
      stableStringify({ a: { c: 'x', d: [1, 2] }, b: 1 }),
    );
    expect(stableStringify({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('keeps array order and tells apart values JSON would merge', () => {
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
    const distinct = [undefined, null, Number.NaN, Infinity, -0, 0, '0', 1n, true, 'true'];
    expect(new Set(distinct.map((value) => stableStringify(value))).size).toBe(distinct.length);
  });

  it('skips properties holding undefined, as JSON does', () => {
    expect(stableStringify({ a: 1, b: undefined })).toBe(stableStringify({ a: 1 }));
  });

  it('encodes dates through toJSON, maps and sets independently of insertion order, and bytes', () => {
    expect(stableStringify(new Date('2026-01-02T03:04:05.000Z'))).toBe(
      '"2026-01-02T03:04:05.000Z"',
    );
    expect(
      stableStringify(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    ).toBe(
      stableStringify(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    );
    expect(stableStringify(new Set([2, 1]))).toBe(stableStringify(new Set([1, 2])));
    expect(stableStringify(Buffer.from('hi'))).toBe('#bytes:aGk=');
  });

  it('refuses functions, symbols and circular data, pointing at the key option', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => stableStringify({ fn: () => 1 })).toThrow(
      new InvalidArgumentError(
        'cannot derive a cache key from $.fn: a function has no stable encoding; give @Cached a key function',
      ),
    );
    expect(() => stableStringify([Symbol('s')])).toThrow(/\$\[0\]: a symbol/);
    expect(() => stableStringify(circular)).toThrow(/\$\.self: it is circular/);
  });

  it('accepts the same object twice when it is not circular', () => {
    const shared = { a: 1 };
    expect(stableStringify([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });
});
