import {
  KvStoreError,
  MemoryStore,
  type CommonStoreOptions,
  type KvStore,
} from '../../lib/index.js';

/**
 * Differential test: random operation sequences (floats and integers for increment, TTLs, ranges,
 * prefixes, Unicode keys, values of every JSON kind) run on a memory store and on the backend
 * under test, result by result; any difference fails with the seed and the step. TTLs are either
 * none or 60 s, so the result of every operation is independent of timing; ttl() is compared as
 * "none", "no key" or "expiring within 60 s".
 */

/** Sequences per serializer and operations per sequence; bounded so the run stays short. */
const SEQUENCES = 3;
const STEPS = 120;

const KEYS = ['a', 'ab', 'b', 'k:1', 'k:10', 'k:2', 'é', 'Ω', '😀', '\uff61', 'k:é', 'z z'];
const PREFIXES = ['', 'k', 'k:', 'a', 'é', '😀', 'zz'];
const NUMBERS = [0, 1, -1, 0.1, 0.2, 1e-18, 2 ** 53, -(2 ** 53), 1.5, 1e308, -0, 123456.789];
const VALUES: unknown[] = [
  ...NUMBERS,
  'text',
  '',
  'ünïcødé 😀',
  true,
  null,
  [1, 'two'],
  { nested: { n: 1 } },
];

/** A small seeded generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Step = { name: string; run: (store: KvStore) => Promise<unknown> };

function stepFor(next: () => number): Step {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const key = pick(KEYS);
  const ttl = pick([undefined, undefined, 60, null] as const);
  const options = ttl === undefined ? undefined : { ttl };
  switch (Math.floor(next() * 11)) {
    case 0:
    case 1: {
      const value = pick(VALUES);
      return {
        name: `put(${key}, ${String(value)}, ${ttl})`,
        run: (s) => s.put(key, value, options),
      };
    }
    case 2:
    case 3: {
      const by = pick(NUMBERS);
      return {
        name: `increment(${key}, ${by}, ${ttl})`,
        run: (s) => s.increment(key, by, options),
      };
    }
    case 4:
      return { name: `get(${key})`, run: (s) => s.get(key) };
    case 5:
      return { name: `delete(${key})`, run: (s) => s.delete(key) };
    case 6: {
      const value = pick(VALUES);
      return { name: `putIfAbsent(${key})`, run: (s) => s.putIfAbsent(key, value, options) };
    }
    case 7: {
      const prefix = pick(PREFIXES);
      const limit = pick([undefined, 1, 3]);
      return {
        name: `rangeGet(${prefix}, limit ${limit})`,
        run: (s) => s.rangeGet(prefix, undefined, limit === undefined ? undefined : { limit }),
      };
    }
    case 8: {
      const [start = '', end = ''] = [pick(KEYS), pick(KEYS)].sort();
      return { name: `rangeGet(${start}..${end})`, run: (s) => s.rangeGet(start, end) };
    }
    case 9: {
      const keys = [pick(KEYS), pick(KEYS), pick(KEYS)];
      return { name: `getMany(${keys.join(',')})`, run: (s) => s.getMany(keys) };
    }
    default:
      return {
        name: `ttl(${key})`,
        run: async (s) => {
          const left = await s.ttl(key);
          if (left === undefined || left === null) return left;
          return left > 0 && left <= 60 ? 'expiring within 60 s' : `unexpected ttl ${left}`;
        },
      };
  }
}

/** What an operation did: its value, or the code of the library error it threw. */
async function outcome(step: Step, store: KvStore): Promise<unknown> {
  try {
    return { value: await step.run(store) };
  } catch (error) {
    if (error instanceof KvStoreError) return { error: error.code };
    throw error;
  }
}

/** Runs the differential test for one backend; `open` creates a fresh, empty store. */
export function runDifferential(
  label: string,
  open: (options: CommonStoreOptions) => KvStore | Promise<KvStore>,
): void {
  describe(`differential: ${label} gives the memory store's results`, () => {
    for (const serializer of ['json', 'rich'] as const) {
      it(`${SEQUENCES} random sequences of ${STEPS} operations, ${serializer} serializer`, async () => {
        for (let seed = 1; seed <= SEQUENCES; seed++) {
          const next = random(seed * 7919 + (serializer === 'rich' ? 1 : 0));
          const reference = new MemoryStore({ serializer });
          const subject = await open({ serializer });
          try {
            for (let i = 0; i < STEPS; i++) {
              const step = stepFor(next);
              const expected = await outcome(step, reference);
              const actual = await outcome(step, subject);
              expect({ seed, i, step: step.name, outcome: actual }).toEqual({
                seed,
                i,
                step: step.name,
                outcome: expected,
              });
            }
          } finally {
            await subject.clear();
            await subject.close();
            await reference.close();
          }
        }
      });
    }
  });
}
