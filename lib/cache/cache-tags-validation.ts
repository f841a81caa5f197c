import { InvalidArgumentError } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';

/** Longest tag accepted, in characters. */
export const MAX_TAG_LENGTH = 1000;

/**
 * Throws {@link InvalidArgumentError} unless `tags` is an array of non-empty strings of at most
 * {@link MAX_TAG_LENGTH} characters without U+0000 (which separates a tag from its entry's key in
 * tag rows). `what` names the source in messages.
 */
export function assertTags(tags: unknown, what: string): asserts tags is readonly string[] {
  if (!Array.isArray(tags)) {
    throw new InvalidArgumentError(
      `${what} must be an array of strings; got ${describeValue(tags)}`,
    );
  }
  tags.forEach((tag: unknown, i) => {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      throw new InvalidArgumentError(
        `${what}[${i}] must be a string of 1 to ${MAX_TAG_LENGTH} characters; got ${describeValue(tag)}`,
      );
    }
    if (tag.includes('\u0000')) {
      throw new InvalidArgumentError(`${what}[${i}] must not contain the character U+0000`);
    }
    if ((tag as { isWellFormed?: () => boolean }).isWellFormed?.() === false) {
      throw new InvalidArgumentError(`${what}[${i}] contains a lone UTF-16 surrogate`);
    }
  });
}
