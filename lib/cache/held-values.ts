import type { HeldEntry } from './cache-scope.js';

/** Default of `heldEntries`: how many values a cache holds in process for grace. */
export const DEFAULT_HELD_ENTRIES = 1000;
/** Default of `heldBytes`: roughly how much memory those values may take (16 MiB). */
export const DEFAULT_HELD_BYTES = 16 * 1024 * 1024;

interface Held extends HeldEntry {
  readonly bytes: number;
}

/**
 * The last good value of each graced key this process read or loaded, least recently used
 * first, bounded by count and by an estimate of their size. Only served while the store cannot
 * be asked, as a stale value under `grace`; dropped when the store answers again. Values are
 * copied in and out, so a caller that changes the object it got cannot change what is served later.
 * @internal One per `KvCache`.
 */
export class HeldValues {
  private readonly entries = new Map<string, Held>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Holds `value` for `key`; a value already held with the same `freshUntil` is only touched. */
  keep(key: string, value: unknown, freshUntil: number): void {
    if (this.maxEntries === 0) return;
    const held = this.entries.get(key);
    if (held !== undefined && held.freshUntil === freshUntil) {
      this.entries.delete(key);
      this.entries.set(key, held);
      return;
    }
    const copy = copyOf(value);
    const bytes = key.length * 2 + sizeOf(copy);
    if (held !== undefined) this.remove(key, held);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value: copy, freshUntil, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.remove(oldest, entry);
    }
  }

  /** A copy of the value held for `key`, or undefined. */
  get(key: string): HeldEntry | undefined {
    const held = this.entries.get(key);
    if (held === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, held);
    return { value: copyOf(held.value), freshUntil: held.freshUntil };
  }

  /** Drops the value held for `key`. */
  drop(key: string): void {
    const held = this.entries.get(key);
    if (held !== undefined) this.remove(key, held);
  }

  /** Drops every value whose key starts with `prefix`. */
  dropPrefix(prefix: string): void {
    for (const [key, held] of [...this.entries]) {
      if (key.startsWith(prefix)) this.remove(key, held);
    }
  }

  /** Drops every value. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** How many values are held; for stats and tests. */
  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, held: Held): void {
    this.entries.delete(key);
    this.bytes -= held.bytes;
  }
}

/** A deep copy where the platform can make one; the value itself otherwise (functions, class instances' methods). */
function copyOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** Deepest nesting the size estimate walks; below it a fixed guess is counted. */
const MAX_SIZE_DEPTH = 16;

/** A rough estimate of the memory a value takes, in bytes. */
function sizeOf(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2;
    case 'object': {
      if (value === null) return 8;
      if (depth >= MAX_SIZE_DEPTH) return 64;
      if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
      let total = 32;
      const items: Iterable<unknown> =
        value instanceof Map
          ? [...value].flat()
          : value instanceof Set || Array.isArray(value)
            ? (value as Iterable<unknown>)
            : Object.entries(value).flat();
      for (const item of items) total += 8 + sizeOf(item, depth + 1);
      return total;
    }
    default:
      return 16;
  }
}
