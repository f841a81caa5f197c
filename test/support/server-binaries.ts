import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/**
 * The one place the Redis tests take their server and CLI binaries from, so that every spec runs
 * on Redis or Valkey without edits:
 *
 * - `KV_TEST_REDIS_SERVER` / `KV_TEST_REDIS_CLI`: paths of the two binaries;
 * - else `KV_TEST_SERVER_BIN`: a folder holding `redis-server` and `redis-cli`, or `valkey-server`
 *   and `valkey-cli` (a Valkey build installs only those names);
 * - else `redis-server` and `redis-cli` from the PATH.
 *
 * Sentinel is the server binary with `--sentinel`, so it needs no binary of its own.
 */

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromFolder(folder: string, names: readonly string[], variable: string): string {
  const found = names.map((name) => join(folder, name)).find(executable);
  if (found === undefined) {
    throw new Error(`${variable}=${folder} holds none of ${names.join(', ')} as an executable`);
  }
  return found;
}

function resolveBinary(variable: string, names: readonly string[]): string {
  const explicit = process.env[variable];
  if (explicit !== undefined && explicit !== '') {
    // Fail at load with the variable's name rather than as a spawn timeout in every test.
    if (explicit.includes('/') && !executable(explicit)) {
      throw new Error(`${variable}=${explicit} is not an executable file`);
    }
    return explicit;
  }
  const folder = process.env.KV_TEST_SERVER_BIN;
  if (folder !== undefined && folder !== '') return fromFolder(folder, names, 'KV_TEST_SERVER_BIN');
  return names[0] as string;
}

/** The server binary the tests start (`redis-server` unless the environment names another). */
export const REDIS_SERVER = resolveBinary('KV_TEST_REDIS_SERVER', [
  'redis-server',
  'valkey-server',
]);

/** The CLI binary the tests run (`redis-cli` unless the environment names another). */
export const REDIS_CLI = resolveBinary('KV_TEST_REDIS_CLI', ['redis-cli', 'valkey-cli']);

/** What {@link serverVersion} read off `REDIS_SERVER --version`. */
export interface ServerVersion {
  /** `Redis` or `Valkey`. */
  readonly name: string;
  readonly major: number;
  readonly minor: number;
  /** As printed, e.g. `Valkey 8.0.1`. */
  readonly text: string;
}

/** The name and version of the server binary the tests start. */
export function serverVersion(): ServerVersion {
  const printed = execFileSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  const match = /^(\w+) server v=(\d+)\.(\d+)\.(\d+)/.exec(printed);
  if (match === null) throw new Error(`${REDIS_SERVER} --version printed ${printed}`);
  const [, name, major, minor, patch] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    name,
    major: Number(major),
    minor: Number(minor),
    text: `${name} ${major}.${minor}.${patch}`,
  };
}
