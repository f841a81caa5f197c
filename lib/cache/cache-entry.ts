import type { PutOptions } from '../core/types.js';
import { usesEnvelope, type CachePolicy } from './cache-options.js';

/**
 * What a call site with `staleWhileRevalidate` or `grace` stores: the result and when it stops
 * being fresh. Only such call sites pay for the envelope; the others store the bare result.
 */
export interface StaleEnvelope {
  /** Marks the shape, so an entry written before the option was turned on reads as a miss. */
  readonly kvSwr: 1;
  /** The loader's result. */
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
  /** When the result stops being fresh (ms since the epoch); undefined without an envelope. */
  readonly freshUntil?: number;
}

/**
 * The stored form and TTL of a result: the TTL (`ttlMs` when the loader chose one) is jittered
 * when `jitter` is set, and extended by `staleWhileRevalidate` or `grace`, whichever is longer,
 * around an envelope that records the fresh part.
 */
export function entryWrite(
  policy: CachePolicy,
  result: unknown,
  now: number,
  random: () => number = Math.random,
  ttlMs: number | undefined = policy.ttlMs,
): EntryWrite {
  const { jitter } = policy;
  if (ttlMs === undefined) {
    return {
      stored: result,
      options: policy.ttl === undefined ? undefined : { ttl: policy.ttl },
    };
  }
  const freshMs = jitter
    ? Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * random() - 1))))
    : ttlMs;
  if (!usesEnvelope(policy)) return { stored: result, options: { ttl: freshMs / 1000 } };
  const freshUntil = now + freshMs;
  const envelope: StaleEnvelope = { kvSwr: 1, value: result, freshUntil };
  const afterMs = Math.max(policy.staleMs ?? 0, policy.graceMs ?? 0);
  return { stored: envelope, options: { ttl: (freshMs + afterMs) / 1000 }, freshUntil };
}

/**
 * The result inside a stored entry that may answer a call now (the entry itself for call sites
 * without envelopes): fresh, or stale within `staleWhileRevalidate`; undefined otherwise.
 */
export function storedResult(policy: CachePolicy, stored: unknown, now: number): unknown {
  if (!usesEnvelope(policy)) return stored;
  if (!isStaleEnvelope(stored)) return undefined;
  return now < stored.freshUntil + (policy.staleMs ?? 0) ? stored.value : undefined;
}

/** True when an envelope's value may still be served under `grace` at `now`. */
export function withinGrace(policy: CachePolicy, freshUntil: number, now: number): boolean {
  return policy.graceMs !== undefined && now < freshUntil + policy.graceMs;
}
