import { InvalidArgumentError } from '../core/errors.js';
import { ttlToMilliseconds, type Duration } from '../core/ttl.js';
import { assertTags } from './cache-tags-validation.js';

/**
 * What a `getOrSet` loader gets as its second argument: the value it replaces, and ways to
 * choose how its own result is cached.
 */
export interface LoaderContext<T = unknown> {
  /** The key being loaded. */
  readonly key: string;
  /**
   * The value this run replaces: an entry past its `ttl` (being refreshed, or within `grace`),
   * or undefined on a plain miss.
   */
  readonly stale: T | undefined;
  /** Caches this result for `ttl` seconds (or a duration) instead of the call's `ttl`. */
  setTtl(ttl: number | Duration): void;
  /** Tags this result with `tags` instead of the call's `tags`. */
  setTags(tags: readonly string[]): void;
  /** Returns this result to the caller without caching it. */
  skip(): void;
}

/** The context of one loader run; the cache reads back what the loader chose. @internal */
export class LoaderRun<T = unknown> implements LoaderContext<T> {
  /** The TTL the loader chose, in milliseconds, or undefined. */
  ttlMs: number | undefined;
  /** The tags the loader chose, or undefined. */
  tags: readonly string[] | undefined;
  /** Whether the loader asked not to cache its result. */
  skipped = false;

  constructor(
    readonly key: string,
    readonly stale: T | undefined,
  ) {}

  setTtl(ttl: number | Duration): void {
    if (ttl === null) {
      throw new InvalidArgumentError('setTtl needs seconds or a duration; got null');
    }
    this.ttlMs = ttlToMilliseconds(ttl, 'setTtl ttl') as number;
  }

  setTags(tags: readonly string[]): void {
    assertTags(tags, 'setTags tags');
    this.tags = [...tags];
  }

  skip(): void {
    this.skipped = true;
  }
}
