import type { PutOptions } from '../../core/types.js';
import type { CachedMethodMetadata } from './cached.metadata.js';

/**
 * What a method with `staleWhileRevalidate` stores: the result and when it stops being fresh.
 * Only such methods pay for the envelope; the others store the bare result.
 */
export interface StaleEnvelope {
  /** Marks the shape, so an entry written before the option was turned on reads as a miss. */
  readonly kvSwr: 1;
  /** The method's result. */
  readonly value: unknown;
  /** Milliseconds since the epoch after which the value is stale (the writer's clock). */
  readonly freshUntil: number;
}

/** True when `stored` is an envelope this module wrote. */
export function isStaleEnvelope(stored: unknown): stored is StaleEnvelope {
  return (
    typeof stored === 'object' &&
    stored !== null &&
    (stored as { kvSwr?: unknown }).kvSwr === 1 &&
    typeof (stored as { freshUntil?: unknown }).freshUntil === 'number' &&
    'value' in stored
  );
}

/** How one write stores a result: the stored value and the put options. */
export interface EntryWrite {
  readonly stored: unknown;
  readonly options: PutOptions | undefined;
}

/**
 * The stored form and TTL of a result: the TTL is jittered when `jitter` is set, and extended by
 * `staleWhileRevalidate` around an envelope that records the fresh part.
 */
export function entryWrite(
  metadata: CachedMethodMetadata,
  result: unknown,
  now: number,
  random: () => number = Math.random,
): EntryWrite {
  const { ttlMs, staleMs, jitter } = metadata;
  if (ttlMs === undefined) {
    return {
      stored: result,
      options: metadata.ttl === undefined ? undefined : { ttl: metadata.ttl },
    };
  }
  const freshMs = jitter
    ? Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * random() - 1))))
    : ttlMs;
  if (staleMs === undefined) return { stored: result, options: { ttl: freshMs / 1000 } };
  const envelope: StaleEnvelope = { kvSwr: 1, value: result, freshUntil: now + freshMs };
  return { stored: envelope, options: { ttl: (freshMs + staleMs) / 1000 } };
}

/** The result inside a stored entry (the entry itself for methods without envelopes). */
export function storedResult(metadata: CachedMethodMetadata, stored: unknown): unknown {
  if (metadata.staleMs === undefined) return stored;
  return isStaleEnvelope(stored) ? stored.value : undefined;
}
