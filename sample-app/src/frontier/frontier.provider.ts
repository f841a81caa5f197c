import { Injectable } from '@nestjs/common';
import { Cached, KvStore } from 'nestjs-kv-store';

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
  constructor(private readonly store: KvStore) {}

  /**
   * The next URLs to fetch on `domain`: candidate pages that no worker has claimed yet.
   * Computing a batch is costly in a real crawler, so batches are cached for 30 seconds.
   */
  @Cached(FRONTIER_BATCH_TTL_SECONDS)
  async nextUrls(domain: string, limit: number): Promise<string[]> {
    const candidates = Array.from(
      { length: limit * 2 },
      (_, i) => `https://${domain}/page/${i + 1}`,
    );
    const claimed = await this.store.getMany(candidates.map((url) => processedKey(baseUrl(url))));
    return candidates.filter((_, i) => claimed[i] === undefined).slice(0, limit);
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
    return { baseUrl: base, claimed };
  }
}

/** The URL without query string and fragment; throws TypeError for something that is not a URL. */
export function baseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function processedKey(base: string): string {
  return `processed:${base}`;
}
