/**
 * Where keys and the range index live in Redis.
 *
 * A user key is valid UTF-8 once encoded, and UTF-8 never contains the byte 0xFF. The index of a
 * shard is therefore named `<data prefix> 0xFF "kv-index"`: it shares the data prefix (so ACL key
 * patterns such as `~prefix*` cover it, and redis-cli shows it next to the data) but no user key
 * of any store can ever produce that name. The same holds for `<data prefix> 0xFF "kv-durability"`,
 * the short-lived key that confirms durable writes (see replica-confirmer.ts).
 *
 * - Standalone and Sentinel: one shard; data prefix = keyPrefix, so key k lives at keyPrefix + k.
 * - Cluster: {@link CLUSTER_SHARDS} shards; key k lives at keyPrefix + "{" + tag + "}" + k where the
 *   tag is its shard's hash tag. A shard's data and index share one slot, so one Lua script can
 *   update both atomically; the shard tags are chosen so their slots spread evenly over the 16384
 *   cluster slots, and therefore over every master.
 */

/** Number of index shards (and hash tags) on a cluster. */
export const CLUSTER_SHARDS = 16;

/** Number of hash slots of Redis Cluster. */
const CLUSTER_SLOTS = 16384;

const INDEX_SUFFIX = Buffer.concat([Buffer.from([0xff]), Buffer.from('kv-index', 'latin1')]);

const PROBE_SUFFIX = Buffer.concat([Buffer.from([0xff]), Buffer.from('kv-durability', 'latin1')]);

/** One shard: the string that precedes user keys, and the index key (which is not valid UTF-8). */
export interface Shard {
  /** Prepended to a user key to get its Redis key name. */
  readonly dataPrefix: string;
  /** The ZSET holding the shard's user keys (score 0, ordered by bytes). */
  readonly indexKey: Buffer;
}

/** Maps user keys to Redis key names and index shards. */
export class KeyLayout {
  /** Every shard, in shard number order. */
  readonly shards: readonly Shard[];

  private constructor(shards: Shard[]) {
    this.shards = shards;
  }

  /** The standalone/Sentinel layout: key k at exactly keyPrefix + k, one index. */
  static single(keyPrefix: string): KeyLayout {
    return new KeyLayout([makeShard(keyPrefix)]);
  }

  /** The cluster layout: {@link CLUSTER_SHARDS} hash-tagged shards. */
  static cluster(keyPrefix: string): KeyLayout {
    return new KeyLayout(clusterTags().map((tag) => makeShard(`${keyPrefix}{${tag}}`)));
  }

  /** The shard number of a user key. */
  shardOf(key: string): number {
    return this.shards.length === 1 ? 0 : fnv1aUtf8(key) % this.shards.length;
  }

  /** The shard of a user key. */
  shardFor(key: string): Shard {
    return this.shards[this.shardOf(key)] as Shard;
  }

  /** Groups keys (with their position in `keys`) by shard number. */
  group<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < items.length; i++) {
      const shard = this.shardOf(keyOf(items[i] as T));
      const list = groups.get(shard);
      if (list) list.push(i);
      else groups.set(shard, [i]);
    }
    return groups;
  }
}

function makeShard(dataPrefix: string): Shard {
  return {
    dataPrefix,
    indexKey: Buffer.concat([Buffer.from(dataPrefix, 'utf8'), INDEX_SUFFIX]),
  };
}

/** The key a durability confirmation writes in `shard`'s slot; no user key can be named so. */
export function durabilityProbeKey(shard: Shard): Buffer {
  return Buffer.concat([Buffer.from(shard.dataPrefix, 'utf8'), PROBE_SUFFIX]);
}

let cachedTags: string[] | undefined;

/**
 * The hash tag of each cluster shard: for shard s, the first base-36 number whose slot falls in
 * the s-th of {@link CLUSTER_SHARDS} equal slices of the slot space. Deterministic, so every
 * process computes the same layout.
 */
export function clusterTags(): string[] {
  if (cachedTags) return cachedTags;
  const tags: Array<string | undefined> = new Array<string | undefined>(CLUSTER_SHARDS);
  let found = 0;
  for (let i = 0; found < CLUSTER_SHARDS; i++) {
    const tag = i.toString(36);
    const slice = Math.floor((keySlot(tag) * CLUSTER_SHARDS) / CLUSTER_SLOTS);
    if (tags[slice] === undefined) {
      tags[slice] = tag;
      found++;
    }
  }
  cachedTags = tags as string[];
  return cachedTags;
}

/** The cluster slot of a hash tag's content: CRC16 (XMODEM) modulo 16384, as Redis computes it. */
export function keySlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % CLUSTER_SLOTS;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, without allocating a buffer. */
export function fnv1aUtf8(text: string): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number): void => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      mix(code);
    } else if (code < 0x800) {
      mix(0xc0 | (code >> 6));
      mix(0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      mix(0xf0 | (code >> 18));
      mix(0x80 | ((code >> 12) & 0x3f));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    } else {
      mix(0xe0 | (code >> 12));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    }
  }
  return hash >>> 0;
}
