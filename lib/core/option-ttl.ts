import { InvalidArgumentError, InvalidOptionsError } from './errors.js';
import { ttlToMilliseconds, type Ttl } from './ttl.js';

/**
 * Converts a TTL given as a store option (`defaultTtl`, in seconds or a duration) into
 * milliseconds, `null` for "never expires". A bad option is a configuration mistake, found when
 * the store is created, so it throws {@link InvalidOptionsError} naming `option`.
 */
export function optionTtlToMilliseconds(ttl: Ttl, option: string): number | null {
  try {
    return ttlToMilliseconds(ttl, option);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidOptionsError(error.message);
    throw error;
  }
}
