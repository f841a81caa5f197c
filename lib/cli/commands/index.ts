import type { Command } from '../command.js';
import { copyCommand } from './copy.js';
import { exportCommand } from './export.js';
import { getCommand } from './get.js';
import { importCommand } from './import.js';
import { rangeCommand } from './range.js';
import { statsCommand } from './stats.js';

/** Every subcommand of `kv-store`, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  exportCommand,
  importCommand,
  copyCommand,
  getCommand,
  rangeCommand,
  statsCommand,
];
