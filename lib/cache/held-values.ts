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
 * structured clones in and out, so a caller that changes the object it got cannot change what is
 * served later; a value `structuredClone` cannot copy, or larger than `maxBytes`, is not held.
 * @internal One per `KvCache`.
 */
export class HeldValues {
  private readonly entries = new Map<string, Held>();
  private bytes = 0;
  private skipped = 0;

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
    if (held !== undefined) this.remove(key, held);
    // Sized before copying, so a value too large to hold is never cloned.
    const bytes = key.length * 2 + sizeOf(value);
    if (bytes > this.maxBytes) return;
    const copy = copyOf(value);
    if (copy === UNCOPYABLE) {
      this.skipped++;
      return;
    }
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

  /** How many values were not held because `structuredClone` could not copy them; for tests and diagnosis. */
  get uncopyable(): number {
    return this.skipped;
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

/** A sentinel for a value `structuredClone` cannot copy (functions, symbols, some host objects). */
const UNCOPYABLE = Symbol('uncopyable');

/** A structured clone of `value` (class instances come back as plain objects), or {@link UNCOPYABLE}. */
function copyOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return structuredClone(value);
  } catch {
    return UNCOPYABLE;
  }
}

/**
 * Most items (objects, strings, numbers...) the size estimate visits in one value. Each counts at
 * least 8 bytes, so a value past it is larger than the default `heldBytes` anyway; it counts as too
 * large to hold, which keeps the estimate linear and bounded on any value.
 */
export const MAX_SIZE_VISITS = 1_000_000;

/**
 * A rough estimate of the memory `value` takes, in bytes, or `Infinity` past
 * {@link MAX_SIZE_VISITS} items. Each object is counted once however many references reach it
 * (circular values included), and the walk keeps its own stack, so deep nesting cannot overflow.
 */
export function sizeOf(value: unknown): number {
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  let total = 0;
  let visits = 0;
  const visit = (items: Iterable<unknown>, count: number): boolean => {
    if (visits + pending.length + count > MAX_SIZE_VISITS) return false;
    for (const item of items) pending.push(item);
    return true;
  };
  while (pending.length > 0) {
    const item = pending.pop();
    visits++;
    if (typeof item === 'string') {
      total += 16 + item.length * 2;
    } else if (typeof item !== 'object' || item === null) {
      total += 16;
    } else if (seen.has(item)) {
      total += 8;
    } else {
      seen.add(item);
      if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) {
        total += 64 + item.byteLength;
        continue;
      }
      let fits: boolean;
      if (item instanceof Map) {
        fits = visit(flatEntries(item), 2 * item.size);
        total += 32 + 16 * item.size;
      } else if (item instanceof Set || Array.isArray(item)) {
        const size = item instanceof Set ? item.size : item.length;
        fits = visit(item as Iterable<unknown>, size);
        total += 32 + 8 * size;
      } else {
        const keys = Object.keys(item);
        fits = visit(flatProperties(item as Record<string, unknown>, keys), 2 * keys.length);
        total += 32 + 8 * keys.length;
      }
      if (!fits) return Infinity;
    }
  }
  return total;
}

/** The `keys` of `object` and their values, one after the other. */
function* flatProperties(object: Record<string, unknown>, keys: string[]): Iterable<unknown> {
  for (const key of keys) {
    yield key;
    yield object[key];
  }
}

/** The keys and values of `map`, one after the other. */
function* flatEntries(map: Map<unknown, unknown>): Iterable<unknown> {
  for (const [key, value] of map) {
    yield key;
    yield value;
  }
}
