import type { KeySelection } from '../migration/key-selection.js';
import type { FlagSpec } from './command.js';
import { stringFlag, type FlagValues } from './store-flags.js';
import { UsageError } from './usage-error.js';

/** Flags that pick the keys a command covers. */
export const SELECTION_FLAGS = {
  keys: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
} as const satisfies FlagSpec;

/** Help text of {@link SELECTION_FLAGS}. */
export const SELECTION_FLAGS_HELP = `Keys (default: every key of the store):
  --keys PREFIX        only keys that start with PREFIX
  --start KEY --end KEY  only keys with START <= key < END (UTF-8 byte order)`;

/** How a summary names the keys a command covered: `' starting with "user:"'`, or ''. */
export function describeSelection(selection: KeySelection): string {
  if (selection.prefix !== undefined) return ` starting with ${JSON.stringify(selection.prefix)}`;
  if (selection.range !== undefined) {
    const { start, end } = selection.range;
    return ` in the range [${JSON.stringify(start)}, ${JSON.stringify(end)})`;
  }
  return '';
}

/** The keys `--keys`, `--start` and `--end` select (`prefix`: a positional shorthand of --keys). */
export function selectionFrom(values: FlagValues, prefix?: string): KeySelection {
  const keys = stringFlag(values, 'keys') ?? prefix;
  const start = stringFlag(values, 'start');
  const end = stringFlag(values, 'end');
  if (start === undefined && end === undefined) return keys === undefined ? {} : { prefix: keys };
  if (start === undefined || end === undefined) {
    throw new UsageError('--start and --end go together: give both or neither');
  }
  if (keys !== undefined) throw new UsageError('a key prefix and --start/--end cannot be combined');
  return { range: { start, end } };
}
