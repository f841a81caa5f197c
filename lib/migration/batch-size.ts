import { assertLimit } from '../core/validation.js';

/** Keys read and written per round of a copy, export or import unless told otherwise. */
export const DEFAULT_MIGRATION_BATCH_SIZE = 500;

/** Validates a `batchSize` option and applies the default. */
export function resolveBatchSize(batchSize: number | undefined): number {
  assertLimit(batchSize, 'batchSize');
  return batchSize ?? DEFAULT_MIGRATION_BATCH_SIZE;
}
