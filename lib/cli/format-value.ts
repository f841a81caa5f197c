import { inspect } from 'node:util';
import { jsonLossProblem } from '../migration/lossless-json.js';
import { UsageError } from './usage-error.js';

/** How `get` and `range` print values. */
export type ValueFormat = 'auto' | 'json' | 'inspect';

/** Every {@link ValueFormat}. */
export const VALUE_FORMATS: readonly ValueFormat[] = ['auto', 'json', 'inspect'];

/** Thrown by {@link formatValue} for `--format json` and a value JSON cannot show exactly. */
export class NotJsonError extends UsageError {
  constructor(key: string, problem: string) {
    super(
      `the value of key ${JSON.stringify(key)} holds ${problem}, which JSON cannot show; use --format inspect`,
    );
  }
}

/** Validates a `--format` flag (default `'auto'`). */
export function parseValueFormat(text: string | undefined): ValueFormat {
  if (text === undefined) return 'auto';
  if ((VALUE_FORMATS as readonly string[]).includes(text)) return text as ValueFormat;
  throw new UsageError(
    `--format must be one of ${VALUE_FORMATS.join(', ')}; got ${JSON.stringify(text)}`,
  );
}

/**
 * One line showing a value: JSON when JSON shows it exactly (`auto`, `json`), else Node's
 * `util.inspect` on one line (a Date, a BigInt, a Map under the rich serializer).
 */
export function formatValue(key: string, value: unknown, format: ValueFormat): string {
  if (format !== 'inspect') {
    const problem = jsonLossProblem(value);
    if (problem === undefined) return JSON.stringify(value);
    if (format === 'json') throw new NotJsonError(key, problem);
  }
  return inspect(value, { depth: null, breakLength: Number.POSITIVE_INFINITY, colors: false });
}
