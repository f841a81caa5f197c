import type { RawValue } from '../../core/types.js';
import type { KvStore } from '../../core/kv-store.js';
import { nearCacheInvalidated, type NearCacheInvalidatedMessage } from './invalidated-channel.js';
import type { ResolvedNearCacheConfig } from './near-cache-options.js';
import { NearEntries, type PendingFill } from './near-entries.js';
import type { TrackingLinkListener } from './tracking-link.js';

/** A value read from Redis with its remaining TTL, as the near cache needs it to fill. */
export interface TimedRaw {
  /** The serialized value (or the store's foreign-type marker, which is never cached). */
  raw: RawValue;
  /** `PTTL` of the key in the same round trip: -1 no expiry, -2 gone, else milliseconds. */
  pttlMs: number;
}

/** Near-cache figures in `getStats().nearCache`; counts since the store was created. */
export interface NearCacheStats {
  /** Gets answered in process. */
  hits: number;
  /** Gets that went to Redis (including those made while the cache was bypassed). */
  misses: number;
  /** Invalidation messages received from Redis. */
  invalidationMessages: number;
  /** Keys those messages named (a FLUSHALL message names none). */
  invalidations: number;
  /**
   * Times the whole near cache was emptied for coherence: a connection closed or reconnected,
   * Redis reported a FLUSHALL/FLUSHDB, or the cluster's slot map changed.
   */
  flushes: number;
  /** Values held now. */
  entries: number;
  /** The `maxEntries` bound. */
  maxEntries: number;
  /** Bytes of the values held now, as counted against `maxBytes` (value size in Redis + key length). */
  bytes: number;
  /** The `maxBytes` bound, or null when there is none. */
  maxBytes: number | null;
  /** The `maxAge` bound, in seconds. */
  maxAge: number;
  /** The tracking mode in use. */
  mode: ResolvedNearCacheConfig['mode'];
  /** Whether tracking is established now; while false every get goes to Redis. */
  active: boolean;
}

/** The connections that keep the near cache coherent (one link, or one per cluster master). */
export interface TrackingSource {
  /** True when every link is up: reads sent now are tracked. */
  readonly isUp: boolean;
  /** Closes the source's own connections. */
  close(): void;
}

/**
 * The in-process cache of serialized values in front of the Redis store. Values are served only
 * while tracking is established; every event that may have lost an invalidation empties it.
 * Reads claim their key before they are sent and fill only if the claim survived (see
 * {@link PendingFill}); own writes drop their keys when they are issued and when they settle.
 */
export class NearCache {
  private readonly entries: NearEntries;
  private active = false;
  private source: TrackingSource | undefined;
  private readonly counters = {
    hits: 0,
    misses: 0,
    invalidationMessages: 0,
    invalidations: 0,
    flushes: 0,
  };

  constructor(
    /** The store this cache belongs to, named in what {@link nearCacheInvalidated} carries. */
    private readonly store: KvStore,
    private readonly config: ResolvedNearCacheConfig,
    /** Maps a Redis key name from an invalidation to the store's user key (undefined: not ours). */
    private readonly keyOfName: (name: string) => string | undefined,
    /** What to hold for a value read from Redis (such as its text), or undefined: do not hold it. */
    private readonly keep: (key: string, raw: RawValue) => RawValue | undefined,
  ) {
    this.entries = new NearEntries(config.maxEntries, config.maxBytes);
  }

  /** The listener tracking links report to. */
  readonly listener: TrackingLinkListener = {
    invalidate: (names) => this.invalidate(names),
    down: () => this.goDown(),
    up: () => {
      this.active = this.source?.isUp === true;
    },
  };

  /** Connects the tracking source once it is built (it needs {@link NearCache.listener}). */
  attach(source: TrackingSource): void {
    this.source = source;
    this.active = source.isUp;
  }

  /** The cached raw value of `key`, or undefined when the read must go to Redis. */
  hit(key: string): RawValue | undefined {
    if (!this.active) return undefined;
    const raw = this.entries.hit(key);
    if (raw !== undefined) this.counters.hits++;
    return raw;
  }

  /**
   * Reads `key` through `fetch` (one round trip bringing the value and its PTTL) and fills the
   * cache when no invalidation, flush or own write of the key happened meanwhile.
   */
  async read(
    key: string,
    fetch: (key: string) => Promise<TimedRaw | undefined>,
  ): Promise<RawValue | undefined> {
    const claim = this.claim(key);
    const sentAt = performance.now();
    let fetched: TimedRaw | undefined;
    try {
      fetched = await fetch(key);
    } catch (error) {
      if (claim) this.entries.release(claim);
      throw error;
    }
    if (claim) this.settle(claim, fetched, sentAt);
    return fetched?.raw;
  }

  /**
   * Reads `keys`: hits from the cache, the rest through one `fetch` call (values in order), each
   * filled as {@link NearCache.read} does.
   */
  async readMany(
    keys: readonly string[],
    fetch: (keys: readonly string[]) => Promise<Array<TimedRaw | undefined>>,
  ): Promise<Array<RawValue | undefined>> {
    const out = new Array<RawValue | undefined>(keys.length);
    const missing: string[] = [];
    const positions: number[] = [];
    keys.forEach((key, i) => {
      const raw = this.hit(key);
      if (raw === undefined) {
        missing.push(key);
        positions.push(i);
      } else {
        out[i] = raw;
      }
    });
    if (missing.length === 0) return out;
    const claims = missing.map((key) => this.claim(key));
    const sentAt = performance.now();
    let fetched: Array<TimedRaw | undefined>;
    try {
      fetched = await fetch(missing);
    } catch (error) {
      for (const claim of claims) if (claim) this.entries.release(claim);
      throw error;
    }
    claims.forEach((claim, j) => {
      const value = fetched[j];
      if (claim) this.settle(claim, value, sentAt);
      out[positions[j] as number] = value?.raw;
    });
    return out;
  }

  /** Claims `key` before a read is sent (undefined while bypassed); counts a miss. */
  claim(key: string): PendingFill | undefined {
    this.counters.misses++;
    return this.active ? this.entries.claim(key) : undefined;
  }

  /** Fills or withdraws `claim` with what its read brought; `sentAt` from `performance.now()`. */
  settle(claim: PendingFill, fetched: TimedRaw | undefined, sentAt: number): void {
    // -2: the key vanished between GET and PTTL; 0: it expires now. Neither is worth keeping.
    if (fetched === undefined || fetched.pttlMs === -2 || fetched.pttlMs === 0) {
      this.entries.release(claim);
      return;
    }
    const kept = this.keep(claim.key, fetched.raw);
    if (kept === undefined) {
      this.entries.release(claim);
      return;
    }
    // Counting from before the request was sent, the local copy expires no later than Redis'
    // and is served no longer than maxAge, whatever Redis reports.
    const ageLimit = sentAt + this.config.maxAgeMs;
    const expiresAt =
      fetched.pttlMs === -1 ? ageLimit : Math.min(sentAt + fetched.pttlMs, ageLimit);
    this.entries.fill(claim, kept, expiresAt, sizeOf(fetched.raw) + claim.key.length);
  }

  /** Drops `keys` for an own write (called when it is issued and again when it settles). */
  forget(keys: Iterable<string>): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** Drops everything for an own `clear()` (not counted as a coherence flush). */
  forgetAll(): void {
    this.entries.clear();
  }

  /** Current figures. */
  stats(): NearCacheStats {
    return {
      ...this.counters,
      entries: this.entries.countValues(),
      maxEntries: this.config.maxEntries,
      bytes: this.entries.heldBytes,
      maxBytes: Number.isFinite(this.config.maxBytes) ? this.config.maxBytes : null,
      maxAge: this.config.maxAgeMs / 1000,
      mode: this.config.mode,
      active: this.active,
    };
  }

  /** Empties the cache and, when the source says so, bypasses it until tracking is back. */
  goDown(): void {
    this.active = this.source?.isUp === true;
    this.entries.clear();
    this.counters.flushes++;
  }

  /** Closes the tracking connections; the cache is bypassed from now on. */
  close(): void {
    this.active = false;
    this.entries.clear();
    this.source?.close();
  }

  private invalidate(names: readonly Buffer[] | null): void {
    this.counters.invalidationMessages++;
    // Read once per message: without subscribers no list is built and nothing is published.
    const announce = nearCacheInvalidated.hasSubscribers;
    if (names === null) {
      this.entries.clear();
      this.counters.flushes++;
      if (announce) this.announce(null);
      return;
    }
    let dropped: string[] | undefined;
    for (const name of names) {
      this.counters.invalidations++;
      const key = this.keyOfName(name.toString('utf8'));
      if (key !== undefined && this.entries.delete(key) && announce) (dropped ??= []).push(key);
    }
    if (dropped !== undefined) this.announce(dropped);
  }

  /** Publishes on the invalidated channel, after the entries are gone. */
  private announce(keys: readonly string[] | null): void {
    nearCacheInvalidated.publish({ store: this.store, keys } satisfies NearCacheInvalidatedMessage);
  }
}

/** The size of a value as read from Redis, in bytes. */
function sizeOf(raw: RawValue): number {
  return typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
}
