import { assertLeaseArguments } from '../core/lease.js';
import type { RedisStoreContext } from './redis-store-context.js';

/**
 * Marks lease keys: 0xFF never occurs in UTF-8, so no user key can produce a lease key's name,
 * and leases, like the range index, stay out of every range query and key count while sharing the
 * data prefix that ACL key patterns (`~prefix*`) grant.
 */
const LEASE_MARKER = Buffer.concat([Buffer.from([0xff]), Buffer.from('kv-lease:', 'latin1')]);

/**
 * Leases of the Redis store: `SET NX PX` with a random token to take one, token-checked scripts to
 * renew and release it. A lease lives in its name's shard, next to a data key of the same name, so
 * on a cluster it is served by the master that holds that key.
 */
export class RedisLeases {
  constructor(private readonly context: RedisStoreContext) {}

  /** The Redis key of lease `name`: `<data prefix> 0xFF "kv-lease:" <name>`. */
  keyOf(name: string): Buffer {
    const { dataPrefix } = this.context.layout.shardFor(name);
    return Buffer.concat([
      Buffer.from(dataPrefix, 'utf8'),
      LEASE_MARKER,
      Buffer.from(name, 'utf8'),
    ]);
  }

  /** Takes the lease unless someone holds it; resolves whether it was taken. */
  async tryLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    assertLeaseArguments(name, token, ttlMs);
    const reply = await this.context.guard(
      this.context.client().set(this.keyOf(name), token, 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  /** Re-arms the lease while `token` holds it; resolves whether it did. */
  async renewLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    assertLeaseArguments(name, token, ttlMs);
    const renewed = await this.context.guard(
      this.context.client().kvRenewLease(this.keyOf(name), token, ttlMs),
    );
    return renewed === 1;
  }

  /** Deletes the lease while `token` holds it; resolves whether it did. */
  async releaseLease(name: string, token: string): Promise<boolean> {
    assertLeaseArguments(name, token);
    const released = await this.context.guard(
      this.context.client().kvReleaseLease(this.keyOf(name), token),
    );
    return released === 1;
  }
}
