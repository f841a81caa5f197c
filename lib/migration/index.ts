export { copyStore, type CopyOptions, type CopyProgress } from './copy-store.js';
export { exportStore, type ExportOptions, type ExportProgress } from './export-store.js';
export { importStore, type ImportOptions, type ImportProgress } from './import-store.js';
export { DumpFormatError } from './dump-format-error.js';
export {
  DUMP_FORMAT,
  DUMP_VERSION,
  type DumpEncoding,
  type DumpEntry,
  type DumpHeader,
  type DumpTrailer,
} from './dump-format.js';
export type { KeySelection } from './key-selection.js';
export { DEFAULT_MIGRATION_BATCH_SIZE } from './batch-size.js';
export { DEFAULT_MAX_DUMP_LINE_BYTES, MAX_DUMP_VALUE_DEPTH } from './dump-limits.js';
