import { InvalidArgumentError, type CommonStoreOptions, type KvStore } from '../../lib/index.js';

/**
 * The increment contract (lib/core/stored-number.ts), run inside the conformance suite against
 * every backend: the expected numbers are JavaScript's own `a + b`, so a backend that adds in
 * another precision or prints fewer digits fails here.
 */
export function describeIncrementContract(
  store: () => KvStore,
  open: (options: CommonStoreOptions) => Promise<KvStore>,
): void {
  describe('increment contract (the same numbers on every backend)', () => {
    it('adds floats exactly as JavaScript does: 0.1 three times is 0.30000000000000004', async () => {
      await store().increment('f', 0.1);
      await store().increment('f', 0.1);
      expect(await store().increment('f', 0.1)).toBe(0.1 + 0.1 + 0.1);
      expect(await store().get('f')).toBe(0.1 + 0.1 + 0.1);
    });

    it('keeps tiny fractions: 1e-18 stays 1e-18', async () => {
      expect(await store().increment('tiny', 1e-18)).toBe(1e-18);
      expect(await store().get('tiny')).toBe(1e-18);
    });

    it('counts integers exactly up to 2^53 and beyond that rounds as a JavaScript number does', async () => {
      await store().put('safe', Number.MAX_SAFE_INTEGER - 1);
      expect(await store().increment('safe')).toBe(Number.MAX_SAFE_INTEGER);
      await store().put('big', 2 ** 53);
      await store().increment('big');
      expect(await store().increment('big')).toBe(2 ** 53 + 1 + 1);
      expect(await store().get('big')).toBe(2 ** 53);
    });

    it('increment by 0 leaves a 17-digit value exactly as it was', async () => {
      // The value, parsed at run time: its literal has more digits than a double keeps.
      const precise = Number('1.2345678901234567e-10');
      expect(String(precise).replace(/e.*|\D/g, '')).toHaveLength(17);
      await store().put('precise', precise);
      expect(await store().increment('precise', 0)).toBe(precise);
      expect(await store().get('precise')).toBe(precise);
    });

    it('refuses a sum that would overflow to Infinity, with a typed error and nothing written', async () => {
      await store().put('o', 1e308);
      await expect(store().increment('o', 1e308)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store().increment('o', 1e308)).rejects.toThrow(/"o".*overflow/);
      expect(await store().get('o')).toBe(1e308);
      await store().put('n', -1e308);
      await expect(store().increment('n', -1e308)).rejects.toThrow(/overflow/);
      expect(await store().get('n')).toBe(-1e308);
      expect(await store().increment('n', 1e308)).toBe(0);
    });

    it('with the rich serializer, increments a stored -0 like any other number', async () => {
      const rich = await open({ serializer: 'rich' });
      await rich.put('z', -0);
      expect(Object.is(await rich.get('z'), -0)).toBe(true);
      expect(await rich.increment('z')).toBe(1);
      await rich.put('z', -0);
      expect(Object.is(await rich.increment('z', -0), -0)).toBe(true);
      expect(Object.is(await rich.get('z'), -0)).toBe(true);
    });
  });
}
