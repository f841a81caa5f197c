import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { CachedMethodMetadata } from './cached.metadata.js';
import { stableStringify } from './stable-stringify.js';

/** Argument parts longer than this are replaced by their SHA-256, keeping keys short for Redis. */
const MAX_PLAIN_ARGS_LENGTH = 256;

/**
 * The prefix every key of one cached method starts with: `cached:<Class>.<method>:`.
 * One prefix per method lets `invalidateAll` delete exactly that method's entries.
 */
export function cachedKeyPrefix(className: string, methodName: string): string {
  return `cached:${className}.${methodName}:`;
}

/**
 * The store key of one call: the method's prefix and either the `key` function's result or the
 * stable encoding of the arguments (trailing `undefined` arguments dropped, so `f(1)` and
 * `f(1, undefined)` share an entry). Throws {@link InvalidArgumentError} when no key can be built.
 */
export function cachedKey(
  prefix: string,
  metadata: CachedMethodMetadata,
  args: readonly unknown[],
): string {
  const argsPart = metadata.key ? customKey(prefix, metadata.key, args) : encodeArgs(args);
  if (argsPart.length <= MAX_PLAIN_ARGS_LENGTH) return `${prefix}${argsPart}`;
  return `${prefix}#sha256:${createHash('sha256').update(argsPart).digest('base64url')}`;
}

function customKey(
  prefix: string,
  key: NonNullable<CachedMethodMetadata['key']>,
  args: readonly unknown[],
): string {
  const part: unknown = key(...args);
  if (typeof part !== 'string' || part.length === 0) {
    throw new InvalidArgumentError(
      `the @Cached key function of ${prefix.slice('cached:'.length, -1)} must return a non-empty string; got ${describeValue(part)}`,
    );
  }
  return part;
}

function encodeArgs(args: readonly unknown[]): string {
  let length = args.length;
  while (length > 0 && args[length - 1] === undefined) length--;
  return stableStringify(length === args.length ? args : args.slice(0, length));
}
