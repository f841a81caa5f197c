import { channel } from 'node:diagnostics_channel';
import type { KvStore } from '../../core/kv-store.js';

/**
 * Name of the `node:diagnostics_channel` channel on which a store's near cache announces the
 * entries it dropped because Redis reported them changed (by another client, or expired or
 * evicted on the server). Subscribe with `subscribe(NEAR_CACHE_INVALIDATED_CHANNEL, handler)`
 * from `node:diagnostics_channel`; the handler receives a {@link NearCacheInvalidatedMessage}.
 *
 * The message is published synchronously while the invalidation is handled, right after the
 * entries were dropped: a `get` issued from the handler onwards no longer answers from the near
 * cache. Timestamp there to measure how long after a write elsewhere an instance stopped serving
 * the old value. The handler runs inside the subscriber connection's data handler, so it should
 * be quick; an exception it throws surfaces as an uncaught exception (Node's rule for channels).
 * Without subscribers nothing is built or published.
 */
export const NEAR_CACHE_INVALIDATED_CHANNEL = 'nestjs-kv-store:near-cache:invalidated';

/** What {@link NEAR_CACHE_INVALIDATED_CHANNEL} carries. */
export interface NearCacheInvalidatedMessage {
  /** The store whose near cache dropped the entries (compare with `===` to pick one store). */
  readonly store: KvStore;
  /**
   * The store's keys (as passed to `get`, without `keyPrefix`) whose cached value or read in
   * flight was dropped, in the order Redis named them; never empty. Keys the near cache did not
   * hold, and names outside the store, are left out. `null`: Redis reported a FLUSHALL or FLUSHDB
   * and the whole near cache was emptied. The store's own writes drop their keys directly, not
   * through this channel (Redis' later report of them usually finds nothing left to drop), and
   * the flushes of a reconnection are not announced either (see `getStats().nearCache.flushes`).
   */
  readonly keys: readonly string[] | null;
}

/** The channel object: its `hasSubscribers` is read before a message is built. */
export const nearCacheInvalidated = channel(NEAR_CACHE_INVALIDATED_CHANNEL);
