import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { KvCache } from '../../cache/kv-cache.js';
import type { CacheScope, ScopeState } from '../../cache/cache-scope.js';
import { assertTags } from '../../cache/cache-tags-validation.js';
import { cachedKey, type CacheKeySource } from './cache-key.js';

/** One `@Cached` method of one class, with its cache resolved (and what its keys are built from). */
export interface CachedMethod extends CacheKeySource {
  /** `Class.method`, used in stats and messages. */
  readonly id: string;
  /** The cache over the method's store. */
  readonly cache: KvCache;
  /** Counters and invalidation generation, shared by every CachedMethod of the same `Class.method`. */
  readonly state: ScopeState;
}

/** The tags of one call, validated; undefined when the method has none. Throws `InvalidArgumentError`. */
export function tagsOfCall(cached: CachedMethod, args: readonly unknown[]): string[] | undefined {
  const source = cached.metadata.tags;
  if (source === undefined) return undefined;
  if (typeof source !== 'function') return source as string[];
  const tags: unknown = source(...args);
  assertTags(tags, `the @Cached tags function of ${cached.id} returned tags`);
  return tags.length === 0 ? undefined : [...tags];
}

/**
 * The call site of `cached` on one provider instance: its calls build the key from their
 * arguments and run `original` on `instance`.
 */
export function methodScope(
  cached: CachedMethod,
  instance: object,
  original: (...args: unknown[]) => unknown,
): CacheScope<unknown[]> {
  const { metadata } = cached;
  const condition = metadata.condition;
  return {
    id: cached.id,
    label: `@Cached ${cached.id}`,
    policy: metadata,
    state: cached.state,
    keyOf: (args) => cachedKey(cached, args),
    load: (args) => {
      const pending = original.apply(instance, args);
      if (!isPromiseLike(pending)) {
        throw new InvalidOptionsError(
          `@Cached on ${cached.id}: the method returned ${describeValue(pending)} instead of a Promise; ` +
            '@Cached only applies to async methods',
        );
      }
      return pending;
    },
    tagsOf: (args) => tagsOfCall(cached, args),
    keeps: condition === undefined ? () => true : (result, args) => condition(result, args),
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
