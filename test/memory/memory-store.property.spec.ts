import fc from 'fast-check';
import { MemoryStore } from '../../lib/index.js';

/** The reference model: a plain Map plus expiry times, ordered by UTF-8 bytes when listed. */
class ReferenceModel {
  private readonly data = new Map<string, { value: unknown; expiresAt: number }>();
  constructor(private readonly now: () => number) {}

  private live(key: string): { value: unknown; expiresAt: number } | undefined {
    const entry = this.data.get(key);
    if (entry && entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry;
  }
  put(key: string, value: unknown, ttl: number | undefined): void {
    this.data.set(key, { value, expiresAt: ttl === undefined ? 0 : this.now() + ttl * 1000 });
  }
  get(key: string): unknown {
    return this.live(key)?.value;
  }
  delete(key: string): boolean {
    const had = this.live(key) !== undefined;
    this.data.delete(key);
    return had;
  }
  putIfAbsent(key: string, value: unknown, ttl: number | undefined): boolean {
    if (this.live(key) !== undefined) return false;
    this.put(key, value, ttl);
    return true;
  }
  increment(key: string, by: number): number | 'NaN' {
    const entry = this.live(key);
    const current = entry === undefined ? 0 : entry.value;
    if (typeof current !== 'number') return 'NaN';
    const next = current + by;
    this.data.set(key, { value: next, expiresAt: entry?.expiresAt ?? 0 });
    return next;
  }
  range(
    start: string,
    end: string | undefined,
    limit: number | undefined,
  ): Array<[string, unknown]> {
    const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
    const keys = [...this.data.keys()]
      .filter((k) => this.live(k) !== undefined)
      .filter((k) =>
        end === undefined
          ? k.startsWith(start)
          : Buffer.compare(utf8(k), utf8(start)) >= 0 && Buffer.compare(utf8(k), utf8(end)) < 0,
      )
      .sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
    return keys.slice(0, limit).map((k) => [k, this.data.get(k)?.value]);
  }
}

// Few distinct keys so that operations collide; characters from every UTF-8 length class.
const keyArb = fc
  .array(fc.constantFrom('a', 'b', 'Z', 'é', '\u0800', '\uff61', '😀', '𝄞', ':'), {
    minLength: 1,
    maxLength: 3,
  })
  .map((chars) => chars.join(''));
const valueArb = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string(), fc.boolean());
const ttlArb = fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined });

const opArb = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key: keyArb, value: valueArb, ttl: ttlArb }),
  fc.record({ op: fc.constant('get' as const), key: keyArb }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  fc.record({ op: fc.constant('putIfAbsent' as const), key: keyArb, value: valueArb, ttl: ttlArb }),
  fc.record({
    op: fc.constant('increment' as const),
    key: keyArb,
    by: fc.integer({ min: -5, max: 5 }),
  }),
  fc.record({
    op: fc.constant('range' as const),
    start: fc.oneof(keyArb, fc.constant('')),
    end: fc.option(keyArb, { nil: undefined }),
    limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  }),
  fc.record({ op: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('sweep' as const) }),
);

describe('MemoryStore behaves like a plain map with expiry (property-based)', () => {
  it('agrees with the reference model on random operation sequences with Unicode keys and TTLs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        let time = 1_000_000;
        const now = (): number => time;
        const store = new MemoryStore({ now, sweepInterval: 3600 });
        const model = new ReferenceModel(now);
        try {
          for (const step of ops) {
            switch (step.op) {
              case 'put':
                await store.put(step.key, step.value, { ttl: step.ttl });
                model.put(step.key, step.value, step.ttl);
                break;
              case 'get':
                expect(await store.get(step.key)).toEqual(model.get(step.key));
                break;
              case 'delete':
                expect(await store.delete(step.key)).toBe(model.delete(step.key));
                break;
              case 'putIfAbsent':
                expect(await store.putIfAbsent(step.key, step.value, { ttl: step.ttl })).toBe(
                  model.putIfAbsent(step.key, step.value, step.ttl),
                );
                break;
              case 'increment': {
                const expected = model.increment(step.key, step.by);
                if (expected === 'NaN') {
                  await expect(store.increment(step.key, step.by)).rejects.toThrow(/not a number/);
                } else {
                  expect(await store.increment(step.key, step.by)).toBe(expected);
                }
                break;
              }
              case 'range':
                expect(await store.rangeGet(step.start, step.end, { limit: step.limit })).toEqual(
                  step.end !== undefined &&
                    Buffer.compare(Buffer.from(step.start), Buffer.from(step.end)) >= 0
                    ? []
                    : model.range(step.start, step.end, step.limit),
                );
                break;
              case 'advance':
                time += step.seconds * 1000;
                break;
              case 'sweep':
                store.sweepExpired();
                break;
            }
          }
          expect(await store.rangeGet('')).toEqual(model.range('', undefined, undefined));
        } finally {
          await store.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});
