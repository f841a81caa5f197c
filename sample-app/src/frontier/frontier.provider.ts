import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Cached, KvCacheService, KvStore } from 'nestjs-kv-store';

/** How long a claimed base URL stays marked as processed, in seconds (1 hour). */
export const PROCESSED_TTL_SECONDS = 3600;
/** How long a computed frontier batch is reused, in seconds. */
export const FRONTIER_BATCH_TTL_SECONDS = 30;

/**
 * The crawler's frontier provider: decides which URLs of a domain to fetch next, and lets
 * workers claim a URL so that two workers never fetch the same page.
 */
@Injectable()
export class FrontierProvider {
  /** Simulated cost of computing a batch, in ms (`FRONTIER_COMPUTE_DELAY_MS`, default 0). */
  private readonly computeDelayMs: number;
  private computationsStarted = 0;

  constructor(
    private readonly store: KvStore,
    private readonly cache: KvCacheService,
    config: ConfigService,
  ) {
    this.computeDelayMs = Number(config.get<string>('FRONTIER_COMPUTE_DELAY_MS') ?? 0);
  }

  /**
   * The next URLs to fetch on `domain`: candidate pages that no worker has claimed yet.
   * Computing a batch is costly in a real crawler, so batches are cached for 30 seconds (±10%,
   * so the batches of many domains do not expire together). When the app runs as several
   * instances on Redis, a cold batch is computed by one instance while the others wait for it
   * (up to 5 s; when the computing instance dies, another takes over within 3 s).
   * Batches are tagged with their domain: a claim drops the domain's batches on every instance.
   */
  @Cached<[string, number], string[]>({
    ttl: FRONTIER_BATCH_TTL_SECONDS,
    jitter: 0.1,
    tags: (domain) => [frontierTag(domain)],
    lockWait: 5,
    leaseTtl: 3,
  })
  async nextUrls(domain: string, limit: number): Promise<string[]> {
    this.computationsStarted++;
    if (this.computeDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.computeDelayMs));
    }
    const candidates = Array.from(
      { length: limit * 2 },
      (_, i) => `https://${domain}/page/${i + 1}`,
    );
    const claimed = await this.store.getMany(candidates.map((url) => processedKey(baseUrl(url))));
    return candidates.filter((_, i) => claimed[i] === undefined).slice(0, limit);
  }

  /**
   * How many frontier batches this instance has started computing (cache misses that ran the
   * computation here). Summed over the instances, it shows how often a batch was really computed.
   */
  get computations(): number {
    return this.computationsStarted;
  }

  /**
   * Marks the base URL (origin and path, without query or fragment) of `url` as processed for one
   * hour; resolves false when another worker claimed it first. Atomic: putIfAbsent, never exists-then-put.
   */
  async claim(url: string, worker: string): Promise<{ baseUrl: string; claimed: boolean }> {
    const base = baseUrl(url);
    const claimed = await this.store.putIfAbsent(
      processedKey(base),
      { worker, claimedAt: new Date().toISOString() },
      { ttl: PROCESSED_TTL_SECONDS },
    );
    // Cached batches of this domain may list the URL just claimed.
    if (claimed) await this.cache.invalidateTags(frontierTag(new URL(base).hostname));
    return { baseUrl: base, claimed };
  }
}

/** The URL without query string and fragment; throws TypeError for something that is not a URL. */
export function baseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** The tag of every cached batch of `domain`. */
function frontierTag(domain: string): string {
  return `frontier:${domain.toLowerCase()}`;
}

function processedKey(base: string): string {
  return `processed:${base}`;
}
