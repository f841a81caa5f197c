/**
 * A store that may answer reads from a copy kept in this process (the Redis store's near cache)
 * and can also read past that copy. Data that other processes change to coordinate with this one
 * (such as the tag versions of `@Cached`) must be read this way: a local copy learns of another
 * process's write only when its invalidation arrives, which may be after the read.
 */
export interface ServerReadCapable {
  /**
   * Values of `keys` in the same order (`undefined` where a key holds nothing), read from the
   * backend itself and never from a copy kept in this process; what is read is not kept either.
   * Validates and decodes as `getMany` does.
   */
  getManyFromServer<T = unknown>(keys: readonly string[]): Promise<Array<T | undefined>>;
}

/** True when `store` offers {@link ServerReadCapable.getManyFromServer}. */
export function supportsServerReads<T extends object>(store: T): store is T & ServerReadCapable {
  return typeof (store as Partial<ServerReadCapable>).getManyFromServer === 'function';
}
