import { randomInt } from 'node:crypto';
import type { KvStore } from '../core/kv-store.js';
import { supportsServerReads } from '../core/server-reads.js';

/**
 * Tags, stored in the cache's own store so that every instance sees them:
 *
 * - a tag row `cached-tag:<tag> U+0000 <entry key>` per tag of an entry, written with the entry
 *   in one `putMany` with the entry's TTL, so rows never outlive their entry by more than a write;
 * - a version `cached-tag-version:<tag>`: a random number, replaced by every invalidation.
 *
 * A hit reads the entry only (tags cost nothing there). A miss reads the versions of its tags
 * before running the method and again after writing; when one changed, an invalidation ran
 * meanwhile and may have missed the rows just written, so the entry and rows are deleted again.
 * Versions are random rather than counted so that a version the store lost (evicted, expired)
 * and wrote again never repeats the value a computation recorded; a version missing at the
 * second read counts as changed. Versions are read past any near cache: another instance's
 * invalidation must be seen as soon as Redis has it, not when its invalidation message arrives.
 */

const ROW_PREFIX = 'cached-tag:';
const VERSION_PREFIX = 'cached-tag-version:';
const SEPARATOR = '\u0000';
/** A version must outlive any computation that read it; one day is far beyond that. */
const VERSION_TTL_SECONDS = 86_400;
/** How many keys one deleteMany of an invalidation removes. */
const DELETE_BATCH = 500;
/** Versions are drawn from 1 to below this (2^48, randomInt's widest range): a repeat is a 2^-48 chance. */
const VERSION_RANGE = 2 ** 48;

/** The key of the row that ties `entryKey` to `tag`. */
export function tagRowKey(tag: string, entryKey: string): string {
  return `${ROW_PREFIX}${tag}${SEPARATOR}${entryKey}`;
}

/**
 * Versions of `tags` to record before running the method: each tag's version, written first
 * (putIfAbsent of a random one) where the store has none, so that losing it later reads as a
 * change. An entry is undefined only when the version vanished again at once; such a computation
 * must not keep its result.
 */
export async function recordTagVersions(
  store: KvStore,
  tags: readonly string[],
): Promise<Array<unknown>> {
  const keys = tags.map((tag) => VERSION_PREFIX + tag);
  const versions = await readVersions(store, keys);
  const missing = keys.filter((_, i) => versions[i] === undefined);
  if (missing.length === 0) return versions;
  const created = await Promise.all(
    missing.map(async (key) => {
      const version = newVersion();
      const stored = await store.putIfAbsent(key, version, { ttl: VERSION_TTL_SECONDS });
      return stored ? version : undefined;
    }),
  );
  // Another call wrote the versions that putIfAbsent found: read what it wrote.
  const others = missing.filter((_, j) => created[j] === undefined);
  const read = others.length === 0 ? [] : await readVersions(store, others);
  const byKey = new Map<string, unknown>();
  missing.forEach((key, j) => byKey.set(key, created[j]));
  others.forEach((key, j) => byKey.set(key, read[j]));
  return keys.map((key, i) => versions[i] ?? byKey.get(key));
}

/** Current versions of `tags` (undefined where the store has none), read past any near cache. */
export function readTagVersions(store: KvStore, tags: readonly string[]): Promise<unknown[]> {
  return readVersions(
    store,
    tags.map((tag) => VERSION_PREFIX + tag),
  );
}

/**
 * True when no version changed between two reads. A version missing from either read counts as
 * changed: the store lost it, and whatever invalidated meanwhile left no trace to compare.
 */
export function sameVersions(before: readonly unknown[], after: readonly unknown[]): boolean {
  return before.every((version, i) => version !== undefined && version === after[i]);
}

/**
 * Invalidates `tags` in one store: gives them new versions first (so computations in flight do
 * not keep what they write), then deletes every tagged entry and its rows. Resolves how many
 * entries were deleted.
 */
export async function invalidateTagsIn(store: KvStore, tags: readonly string[]): Promise<number> {
  await store.putMany(
    [...new Set(tags)].map((tag): [string, number] => [VERSION_PREFIX + tag, newVersion()]),
    { ttl: VERSION_TTL_SECONDS },
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

/** Reads version keys from the server itself where the store keeps local copies. */
function readVersions(store: KvStore, keys: readonly string[]): Promise<unknown[]> {
  return supportsServerReads(store) ? store.getManyFromServer(keys) : store.getMany(keys);
}

/**
 * A random version. A number, stored as the decimal text counters use, so that an instance that
 * still invalidates by `increment` changes it too.
 */
function newVersion(): number {
  return randomInt(1, VERSION_RANGE);
}
