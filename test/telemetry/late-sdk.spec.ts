import { createStore } from '../../lib/index.js';
import { startTestSdk } from '../support/otel-harness.js';

describe('an SDK registered after the store started working', () => {
  it('is picked up within 256 operations, without restarting the store', async () => {
    const store = createStore();
    for (let i = 0; i < 10; i++) await store.put(`k${i}`, i);
    const sdk = startTestSdk();
    try {
      for (let i = 0; i < 300; i++) await store.get(`k${i % 10}`);
      const tracedGets = (): number => sdk.spans().filter((span) => span.name === 'kv.get').length;
      const traced = tracedGets();
      expect(traced).toBeGreaterThanOrEqual(300 - 256);
      // Once picked up, it stays: every later operation is traced.
      for (let i = 0; i < 50; i++) await store.get(`k${i % 10}`);
      expect(tracedGets() - traced).toBe(50);
    } finally {
      await store.close();
      await sdk.stop();
    }
  });
});
