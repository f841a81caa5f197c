/**
 * Lua scripts of the lease primitive (see redis-leases.ts): a lease is only renewed or released by
 * the token that took it, so a holder whose lease expired can never free its successor's lease.
 */

/** KEYS: lease. ARGV: token. Deletes the lease when the token holds it; returns 1 or 0. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** KEYS: lease. ARGV: token, ttl ms. Re-arms the lease's expiry when the token holds it; returns 1 or 0. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** The lease scripts, by the command name ioredis gives them. */
export const LEASE_SCRIPTS = {
  kvReleaseLease: { lua: RELEASE_LEASE, numberOfKeys: 1 },
  kvRenewLease: { lua: RENEW_LEASE, numberOfKeys: 1 },
} as const;

/** The lease scripts as ioredis exposes them on the client. */
export interface LeaseScriptCommands {
  /** Deletes the lease when `token` holds it; resolves 1 or 0. */
  kvReleaseLease(lease: Buffer, token: string): Promise<number>;
  /** Re-arms the lease's expiry (ms) when `token` holds it; resolves 1 or 0. */
  kvRenewLease(lease: Buffer, token: string, ttlMs: number): Promise<number>;
}
