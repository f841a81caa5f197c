import type { KvStore } from '../../core/kv-store.js';
import { assertTags } from './cache-tags-validation.js';
import type { CachedMethod } from './cached-call.js';

/**
 * Tags, stored in the cache's own store so that every instance sees them:
 *
 * - a tag row `cached-tag:<tag> U+0000 <entry key>` per tag of an entry, written with the entry
 *   in one `putMany` with the entry's TTL, so rows never outlive their entry by more than a write;
 * - a version counter `cached-tag-version:<tag>`, incremented by every invalidation.
 *
 * A hit reads the entry only (tags cost nothing there). A miss reads the versions of its tags
 * before running the method and again after writing; when one moved, an invalidation ran
 * meanwhile and may have missed the rows just written, so the entry and rows are deleted again.
 */

const ROW_PREFIX = 'cached-tag:';
const VERSION_PREFIX = 'cached-tag-version:';
const SEPARATOR = '\u0000';
/** A version counter must outlive any computation that read it; one day is far beyond that. */
const VERSION_TTL_SECONDS = 86_400;
/** How many keys one deleteMany of an invalidation removes. */
const DELETE_BATCH = 500;

/** The tags of one call, validated; undefined when the method has none. Throws `InvalidArgumentError`. */
export function tagsOfCall(cached: CachedMethod, args: readonly unknown[]): string[] | undefined {
  const source = cached.metadata.tags;
  if (source === undefined) return undefined;
  if (typeof source !== 'function') return source as string[];
  const tags: unknown = source(...args);
  assertTags(tags, `the @Cached tags function of ${cached.id} returned tags`);
  return tags.length === 0 ? undefined : [...tags];
}

/** The key of the row that ties `entryKey` to `tag`. */
export function tagRowKey(tag: string, entryKey: string): string {
  return `${ROW_PREFIX}${tag}${SEPARATOR}${entryKey}`;
}

/** Current versions of `tags` (undefined where never invalidated). */
export function readTagVersions(store: KvStore, tags: readonly string[]): Promise<unknown[]> {
  return store.getMany(tags.map((tag) => VERSION_PREFIX + tag));
}

/** True when no version moved between two reads. */
export function sameVersions(before: readonly unknown[], after: readonly unknown[]): boolean {
  return before.every((version, i) => version === after[i]);
}

/**
 * Invalidates `tags` in one store: bumps their versions first (so computations in flight do not
 * keep what they write), then deletes every tagged entry and its rows. Resolves how many entries
 * were deleted.
 */
export async function invalidateTagsIn(store: KvStore, tags: readonly string[]): Promise<number> {
  await Promise.all(
    tags.map((tag) => store.increment(VERSION_PREFIX + tag, 1, { ttl: VERSION_TTL_SECONDS })),
  );
  let deleted = 0;
  for (const tag of new Set(tags)) {
    const prefix = `${ROW_PREFIX}${tag}${SEPARATOR}`;
    let rows: string[] = [];
    const flush = async (): Promise<void> => {
      const entries = rows.map((row) => row.slice(prefix.length));
      // Entries first: a crash in between leaves rows, never an untagged entry.
      deleted += await store.deleteMany(entries);
      await store.deleteMany(rows);
      rows = [];
    };
    // iterate resumes after the last key it yielded, so deleting yielded rows skips nothing.
    for await (const [row] of store.iterate(prefix, undefined, { batchSize: DELETE_BATCH })) {
      rows.push(row);
      if (rows.length === DELETE_BATCH) await flush();
    }
    if (rows.length > 0) await flush();
  }
  return deleted;
}
