import fc from 'fast-check';
import { compareKeys } from '../../lib/core/key-order.js';
import { MemoryStore } from '../../lib/index.js';

// New keys join the memory store's ordered index only at the next ordered read. These properties
// check that every ordered read (rangeGet, and each page an iterate fetches) still sees exactly
// the live keys, whatever puts, deletes, expiries, evictions and clears came before it.

/** Few distinct keys, so that puts, deletes and re-puts of one key collide; some high units. */
const keyArb = fc
  .array(fc.constantFrom('a', 'b', 'c', ':', '\uffee', '😀'), { minLength: 1, maxLength: 3 })
  .map((chars) => chars.join(''));
const valueArb = fc.integer({ min: 0, max: 99 });

interface Row {
  key: string;
  value: unknown;
}

/** What an ordered read asks for: a prefix, or keys from `start` below `end`. */
interface Query {
  start: string;
  end?: string;
}

function inQuery(key: string, query: Query, from: string): boolean {
  if (compareKeys(key, from) < 0) return false;
  return query.end === undefined ? key.startsWith(query.start) : compareKeys(key, query.end) < 0;
}

const queryArb: fc.Arbitrary<Query> = fc.oneof(
  fc.record({ start: fc.oneof(keyArb, fc.constant('')) }),
  fc
    .tuple(keyArb, keyArb)
    .filter(([a, b]) => compareKeys(a, b) < 0)
    .map(([start, end]) => ({ start, end })),
);
/** Iterators walk every key half of the time, so that their pages fill and they page on. */
const iterateQueryArb: fc.Arbitrary<Query> = fc.oneof(fc.constant({ start: '' }), queryArb);

/**
 * An iterator the test drives one step at a time, and what the store must yield: each page is
 * what the model holds from just past the last key yielded, when the page is fetched.
 */
interface Paging {
  iterator: AsyncGenerator<[string, unknown], void, undefined>;
  query: Query;
  batchSize: number;
  page: Row[];
  pageWasFull: boolean;
  last?: string;
}

/** What the model holds of `query` from `from` on, at most `limit` rows, in key order. */
type Fetch = (query: Query, from: string, limit: number) => Row[];

/** Takes one step of `paging` and checks it against `fetch(query, from, limit)` of the model. */
async function step(paging: Paging, fetch: Fetch): Promise<boolean> {
  if (paging.page.length === 0 && (paging.last === undefined || paging.pageWasFull)) {
    const from = paging.last === undefined ? paging.query.start : `${paging.last}\u0000`;
    paging.page = fetch(paging.query, from, paging.batchSize);
    paging.pageWasFull = paging.page.length === paging.batchSize;
  }
  const expected = paging.page.shift();
  const next = await paging.iterator.next();
  if (expected === undefined) {
    expect(next.done).toBe(true);
    return false;
  }
  expect(next.value).toEqual([expected.key, expected.value]);
  paging.last = expected.key;
  return true;
}

function startPaging(store: MemoryStore, query: Query, batchSize: number): Paging {
  return {
    iterator: store.iterate(query.start, query.end, { batchSize }),
    query,
    batchSize,
    page: [],
    pageWasFull: false,
  };
}

/** The operations both properties share: clear, rangeGet, starting an iterator, its next step. */
const clearAndOrderedReads = [
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('range' as const),
      query: queryArb,
      limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('iterate' as const),
      query: iterateQueryArb,
      batchSize: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 6, arbitrary: fc.constant({ op: 'next' as const }) },
] as const;

/** One of the operations in {@link clearAndOrderedReads}. */
type SharedOp =
  | { op: 'clear' }
  | { op: 'range'; query: Query; limit: number | undefined }
  | { op: 'iterate'; query: Query; batchSize: number }
  | { op: 'next' };

/**
 * Runs a shared operation on the store and the model (`clearModel`, `fetch`) and checks what the
 * store read; returns the iterator the test drives after it.
 */
async function sharedStep(
  store: MemoryStore,
  s: SharedOp,
  clearModel: () => void,
  fetch: Fetch,
  paging: Paging | undefined,
): Promise<Paging | undefined> {
  switch (s.op) {
    case 'clear':
      await store.clear();
      clearModel();
      return paging;
    case 'range':
      expect(await store.rangeGet(s.query.start, s.query.end, { limit: s.limit })).toEqual(
        fetch(s.query, s.query.start, s.limit ?? Infinity).map((r) => [r.key, r.value]),
      );
      return paging;
    case 'iterate':
      return startPaging(store, s.query, s.batchSize);
    case 'next':
      return paging !== undefined && (await step(paging, fetch)) ? paging : undefined;
  }
}

describe('MemoryStore ordered reads see every live key (deferred index, property-based)', () => {
  it('rangeGet and paging iterators agree with a map model under puts, deletes, expiry, sweeps and clear', async () => {
    const opArb = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant('put' as const),
          key: keyArb,
          value: valueArb,
          ttl: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('putMany' as const),
          entries: fc.array(fc.tuple(keyArb, valueArb), { maxLength: 6 }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('advance' as const), seconds: fc.nat(3) }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
      ...clearAndOrderedReads,
    );

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
        let time = 1_000_000;
        const store = new MemoryStore({ now: () => time, sweepInterval: 3600 });
        const model = new Map<string, { value: unknown; expiresAt: number }>();
        const live = (key: string): boolean => {
          const entry = model.get(key);
          return entry !== undefined && (entry.expiresAt === 0 || entry.expiresAt > time);
        };
        const fetch = (query: Query, from: string, limit: number): Row[] =>
          [...model.keys()]
            .filter((key) => live(key) && inQuery(key, query, from))
            .sort(compareKeys)
            .slice(0, limit)
            .map((key) => ({ key, value: model.get(key)?.value }));
        // Every run starts with an iterator over every key, so that puts land around its cursor.
        let paging: Paging | undefined = startPaging(store, { start: '' }, 2);
        try {
          for (const s of ops) {
            switch (s.op) {
              case 'put':
                await store.put(s.key, s.value, { ttl: s.ttl });
                model.set(s.key, {
                  value: s.value,
                  expiresAt: s.ttl === undefined ? 0 : time + s.ttl * 1000,
                });
                break;
              case 'putMany':
                await store.putMany(s.entries);
                for (const [key, value] of s.entries) model.set(key, { value, expiresAt: 0 });
                break;
              case 'delete':
                expect(await store.delete(s.key)).toBe(live(s.key));
                model.delete(s.key);
                break;
              case 'advance':
                time += s.seconds * 1000;
                break;
              case 'sweep':
                store.sweepExpired();
                break;
              default:
                paging = await sharedStep(store, s, () => model.clear(), fetch, paging);
            }
          }
          while (paging !== undefined && (await step(paging, fetch)));
          expect(await store.rangeGet('')).toEqual(
            fetch({ start: '' }, '', Infinity).map((r) => [r.key, r.value]),
          );
        } finally {
          await store.close();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('with maxEntries, rangeGet and iterators see exactly the entries LRU eviction kept', async () => {
    const opArb = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ op: fc.constant('put' as const), key: keyArb, value: valueArb }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), key: keyArb }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
      ...clearAndOrderedReads,
    );

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(opArb, { maxLength: 80 }),
        async (maxEntries, ops) => {
          const store = new MemoryStore({ maxEntries, sweepInterval: 3600 });
          // Map order is recency order, least recently used first, as in the store.
          const model = new Map<string, unknown>();
          const use = (key: string): void => {
            const value = model.get(key);
            model.delete(key);
            model.set(key, value);
          };
          /** Reads touch what they return, in key order. */
          const fetch = (query: Query, from: string, limit: number): Row[] => {
            const rows = [...model.keys()]
              .filter((key) => inQuery(key, query, from))
              .sort(compareKeys)
              .slice(0, limit)
              .map((key) => ({ key, value: model.get(key) }));
            for (const row of rows) use(row.key);
            return rows;
          };
          let paging: Paging | undefined = startPaging(store, { start: '' }, 2);
          try {
            for (const s of ops) {
              switch (s.op) {
                case 'put':
                  await store.put(s.key, s.value);
                  model.delete(s.key);
                  model.set(s.key, s.value);
                  if (model.size > maxEntries) model.delete(model.keys().next().value as string);
                  break;
                case 'get':
                  expect(await store.get(s.key)).toEqual(model.get(s.key));
                  if (model.has(s.key)) use(s.key);
                  break;
                case 'delete':
                  expect(await store.delete(s.key)).toBe(model.has(s.key));
                  model.delete(s.key);
                  break;
                default:
                  paging = await sharedStep(store, s, () => model.clear(), fetch, paging);
              }
            }
            expect((await store.getStats()).totalKeys).toBe(model.size);
            expect(await store.rangeGet('')).toEqual(
              fetch({ start: '' }, '', Infinity).map((r) => [r.key, r.value]),
            );
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
