import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import { KeyvKvStoreAdapter, type KvStore } from '../../lib/index.js';

type KeyvSuiteApi = Parameters<typeof keyvTestSuite>[0];
type TestBody = (context: { expect: typeof expect }) => unknown;

/**
 * The test API @keyv/test-suite calls (Vitest's shape: `test.it(name, (t) => t.expect(...))`),
 * served by Jest so that the unmodified upstream suite runs here.
 */
const jestAsKeyvSuiteApi = {
  it: (name: string, body: TestBody) => it(name, async () => body({ expect })),
  beforeEach: (body: () => unknown) => beforeEach(async () => body()),
  afterEach: (body: () => unknown) => afterEach(async () => body()),
  describe,
} as unknown as KeyvSuiteApi;

/**
 * Runs @keyv/test-suite on a `KvStore` behind `KeyvKvStoreAdapter`. Keyv enables `iterator()` only
 * for dialects it knows (redis among them), so the iterator tests run where the backend is one.
 */
export function runKeyvCompliance(
  label: string,
  openStore: () => KvStore,
  iterator: boolean,
): void {
  describe(`@keyv/test-suite on the ${label} store`, () => {
    const stores: KvStore[] = [];
    const adapter = (): KeyvKvStoreAdapter => {
      const store = openStore();
      stores.push(store);
      return new KeyvKvStoreAdapter(store);
    };
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
    });
    // The suite clears through Keyv in beforeEach; the store is shared, so start from empty too.
    beforeAll(async () => {
      await openStore().clear();
    });
    keyvTestSuite(jestAsKeyvSuiteApi, Keyv, adapter);
    if (iterator) keyvIteratorTests(jestAsKeyvSuiteApi, Keyv, adapter);
  });
}
