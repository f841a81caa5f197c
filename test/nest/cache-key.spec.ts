import { createHash } from 'node:crypto';
import { cachedKey, cachedKeyHead, cachedKeyPrefix } from '../../lib/nest/cached/cache-key.js';
import { stableStringify } from '../../lib/cache/stable-stringify.js';

const prefix = cachedKeyPrefix('PageService', 'page');
const method = { prefix, keyHead: cachedKeyHead(prefix), metadata: { ttl: 60 } };

/** The key the general path gives: the prefix and the stable encoding, hashed past 256 chars. */
function generalKey(args: unknown[]): string {
  const part = stableStringify(args);
  return part.length <= 256
    ? `${prefix}${part}`
    : `${prefix}#sha256:${createHash('sha256').update(part).digest('base64url')}`;
}

describe('cachedKey of a one-argument call', () => {
  it('is the key of the general encoding, for every kind of number and string', () => {
    const values = [
      0,
      -0,
      42,
      -7.5,
      1e21,
      Number.NaN,
      Infinity,
      -Infinity,
      '',
      'a"b\\c',
      'é\u2028',
    ];
    // Strings around the length past which the argument part is hashed.
    for (const length of [252, 253, 254, 255]) values.push('x'.repeat(length));
    for (const value of values) {
      expect(cachedKey(method, [value])).toBe(generalKey([value]));
    }
  });
});
