import type { RedisStore } from '../../../../lib/index.js';
import { waitUntil } from '../../../support/redis-harness.js';

/**
 * How long after a write completed elsewhere a near cache may still serve the old value in these
 * tests. The benchmark measures the real delay (p99 well under 2 ms on loopback); this bound
 * leaves room for a test machine whose cores are shared and busy.
 */
export const STALENESS_WINDOW_MS = 250;

/** Resolves once the store's near cache has tracking established (reads are tracked). */
export async function waitUntilTracking(store: RedisStore, ms = 10_000): Promise<void> {
  await waitUntil(
    async () => (await store.getStats()).nearCache?.active === true,
    ms,
    'the near cache to establish tracking',
  );
}

/** The store's near-cache figures (fails when it has none). */
export async function nearStats(
  store: RedisStore,
): Promise<NonNullable<Awaited<ReturnType<RedisStore['getStats']>>['nearCache']>> {
  const stats = (await store.getStats()).nearCache;
  if (stats === undefined) throw new Error('the store has no near cache');
  return stats;
}

/** Lets pending I/O (such as invalidation messages) be handled: a near-cache hit never yields. */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Reads `key` from `store` until it returns `expected`, starting right after a write that
 * completed at `writtenAt` (performance.now()); fails if an older value is still served once
 * {@link STALENESS_WINDOW_MS} has passed. Resolves how long the old value was still served (ms).
 */
export async function expectFreshWithinWindow(
  store: RedisStore,
  key: string,
  expected: unknown,
  writtenAt: number,
): Promise<number> {
  for (;;) {
    const seen = await store.get(key);
    const elapsed = performance.now() - writtenAt;
    if (JSON.stringify(seen) === JSON.stringify(expected)) return elapsed;
    if (elapsed > STALENESS_WINDOW_MS) {
      throw new Error(
        `key ${key} still served ${JSON.stringify(seen)} ${elapsed.toFixed(1)} ms after the write of ${JSON.stringify(expected)} completed`,
      );
    }
    await yieldToIo();
  }
}
