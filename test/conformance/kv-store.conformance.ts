import type { CommonStoreOptions, KvStore } from '../../lib/index.js';
import { atomicTests } from './atomic.js';
import { badInputTests } from './bad-input.js';
import { basicTests } from './basic.js';
import { batchTests } from './batch.js';
import type { ConformanceContext, StoreFactory } from './conformance-context.js';
import { lifecycleTests } from './lifecycle.js';
import { rangeTests } from './range.js';
import { serializerTests } from './serializers.js';
import { ttlTests } from './ttl.js';

export type { StoreFactory } from './conformance-context.js';

/** The areas of the contract, each in its own file, in the order they run. */
export const CONFORMANCE_AREAS = {
  basic: basicTests,
  ttl: ttlTests,
  range: rangeTests,
  atomic: atomicTests,
  batch: batchTests,
  lifecycle: lifecycleTests,
  serializers: serializerTests,
  badInput: badInputTests,
} as const;

/** One area of the contract suite. */
export type ConformanceArea = keyof typeof CONFORMANCE_AREAS;

/** Which areas to run: all by default, or `only` these, or all but `skip`. */
export interface ConformanceSelection {
  only?: ConformanceArea[];
  skip?: ConformanceArea[];
}

/**
 * The whole `KvStore` contract, written once and run against every backend and topology:
 * `runKvStoreConformance('memory', (options) => new MemoryStore(options))`. Areas can be switched
 * (`{ only: ['ttl'] }`), as in keyv's test-suite, while working on one of them.
 */
export function runKvStoreConformance(
  label: string,
  factory: StoreFactory,
  selection: ConformanceSelection = {},
): void {
  describe(`KvStore contract: ${label}`, () => {
    const opened: KvStore[] = [];
    let store: KvStore | undefined;
    const context: ConformanceContext = {
      factory,
      async open(options: CommonStoreOptions = {}) {
        const created = await factory(options);
        opened.push(created);
        return created;
      },
      current() {
        if (store === undefined) throw new Error('no store is open outside a test');
        return store;
      },
    };
    beforeEach(async () => {
      store = await context.open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) {
        if (!s.isClosed) await s.clear();
        await s.close();
      }
      store = undefined;
    });

    for (const [area, tests] of Object.entries(CONFORMANCE_AREAS) as Array<
      [ConformanceArea, (context: ConformanceContext) => void]
    >) {
      if (selection.only !== undefined && !selection.only.includes(area)) continue;
      if (selection.skip?.includes(area)) continue;
      tests(context);
    }
  });
}
