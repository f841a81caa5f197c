import { InvalidArgumentError } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';

/** Which keys a copy or export covers: every key by default, or a prefix, or a range. */
export interface KeySelection {
  /** Only keys that start with this text (`''`: every key). Not together with `range`. */
  prefix?: string;
  /** Only keys k with `start <= k < end` in UTF-8 byte order. Not together with `prefix`. */
  range?: {
    /** First key included. */
    start: string;
    /** First key no longer included (half-open). */
    end: string;
  };
}

/** The `[startKey, endKey]` arguments of `KvStore.iterate` that cover a selection. */
export function selectionBounds(selection: KeySelection): [string, string | undefined] {
  const { prefix, range } = selection;
  if (prefix !== undefined && range !== undefined) {
    throw new InvalidArgumentError('prefix and range cannot be combined; give one of them');
  }
  if (range !== undefined) {
    if (range === null || typeof range !== 'object') {
      throw new InvalidArgumentError(`range must be { start, end }; got ${describeValue(range)}`);
    }
    return [range.start, range.end];
  }
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw new InvalidArgumentError(`prefix must be a string; got ${describeValue(prefix)}`);
  }
  return [prefix ?? '', undefined];
}

/** Whether a selection covers every key, so that the store's key count is the total. */
export function selectsEverything(selection: KeySelection): boolean {
  return selection.range === undefined && (selection.prefix ?? '') === '';
}
