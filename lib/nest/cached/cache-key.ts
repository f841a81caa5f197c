import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { CachedMethodMetadata } from './cached.metadata.js';
import { stableStringify } from '../../cache/stable-stringify.js';

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
 * `prefix` and the `[` that opens the encoded arguments, as one flat string: keys built from it
 * are a two-piece string like a hand-written template's. Built from the prefix as it is, a
 * key is a deeper chain of string pieces, which the store's lookup must flatten first; that made
 * a memory-store hit measurably slower (bench/limits/cached-hit-cost.ts). Built once per method.
 */
export function cachedKeyHead(prefix: string): string {
  // A property name is stored as one flat (internalized) string; reading it back gives that.
  return Object.keys({ [`${prefix}[`]: 0 })[0] as string;
}

/** What a method's keys are built from: the parts of `CachedMethod` that {@link cachedKey} reads. */
export interface CacheKeySource {
  /** {@link cachedKeyPrefix} of the method. */
  readonly prefix: string;
  /** {@link cachedKeyHead} of `prefix`, kept with the method since keys are built on every call. */
  readonly keyHead: string;
  readonly metadata: CachedMethodMetadata;
}

/**
 * The store key of one call: the method's prefix and either the `key` function's result or the
 * stable encoding of the arguments (trailing `undefined` arguments dropped, so `f(1)` and
 * `f(1, undefined)` share an entry). Throws {@link InvalidArgumentError} when no key can be built.
 */
export function cachedKey(
  { prefix, keyHead, metadata }: CacheKeySource,
  args: readonly unknown[],
): string {
  if (metadata.key === undefined && args.length === 1) {
    const key = singleArgumentKey(keyHead, args[0]);
    if (key !== undefined) return key;
  }
  const argsPart = metadata.key ? customKey(prefix, metadata.key, args) : encodeArgs(args);
  if (argsPart.length <= MAX_PLAIN_ARGS_LENGTH) return `${prefix}${argsPart}`;
  return `${prefix}#sha256:${createHash('sha256').update(argsPart).digest('base64url')}`;
}

/**
 * The key of the commonest call, one number or string argument, built from the method's
 * {@link cachedKeyHead} in one step, as a hand-written key would be. The text is exactly what
 * the general path (`stableStringify`, then the prefix) builds; undefined for any other argument,
 * or a string long enough to be hashed.
 */
function singleArgumentKey(head: string, only: unknown): string | undefined {
  if (typeof only === 'number') {
    // -0, NaN and ±Infinity have tagged encodings (see stableStringify).
    return Number.isFinite(only) && !Object.is(only, -0) ? `${head}${only}]` : undefined;
  }
  if (typeof only !== 'string') return undefined;
  const part = JSON.stringify(only);
  return part.length + 2 <= MAX_PLAIN_ARGS_LENGTH ? `${head}${part}]` : undefined;
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
