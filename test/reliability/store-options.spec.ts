import { createStore, InvalidOptionsError } from '../../lib/index.js';

describe('bad store options', () => {
  it.each([
    ['memory', -1],
    ['memory', 0],
    ['memory', Number.NaN],
    ['memory', { minutes: -5 }],
    ['memory', 'ten'],
    ['redis', -1],
    ['redis', { weeks: 1 }],
  ] as const)(
    'a %s store with defaultTtl %p throws InvalidOptionsError naming defaultTtl, as the docs say bad options do',
    (type, defaultTtl) => {
      const create = (): unknown =>
        createStore({
          type,
          ...(type === 'redis' ? { port: 1 } : {}),
          defaultTtl,
        } as unknown as Parameters<typeof createStore>[0]);
      expect(create).toThrow(InvalidOptionsError);
      expect(create).toThrow(/^defaultTtl\b/);
      try {
        create();
      } catch (error) {
        expect((error as InvalidOptionsError).code).toBe('INVALID_OPTIONS');
      }
    },
  );
});
