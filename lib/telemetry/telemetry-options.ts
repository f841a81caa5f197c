/** Fine-tuning of a store's OpenTelemetry spans and metrics (`telemetry` store option). */
export interface TelemetryOptions {
  /**
   * Name of the store in the `kv.store.name` attribute. Default: the `KvStoreModule` name
   * (`'default'` for the default store); stores made with `createStore` have none.
   */
  name?: string;
  /**
   * Adds the key's prefix, up to and including the first occurrence of this delimiter (for example
   * `':'` turns `user:42` into `user:`), to single-key spans as `kv.key.prefix`. Default: off;
   * a key without the delimiter adds nothing, so a whole key never lands in an attribute.
   */
  keyPrefixDelimiter?: string;
  /**
   * Seconds (default 10) for which the `kv.store.keys` and `kv.store.expiring_keys` gauges reuse
   * one `getStats()` result: counting keys walks the whole store, so a scrape (or several readers)
   * never runs it more than once per interval.
   */
  statsInterval?: number;
}

/**
 * The `telemetry` store option: omitted or `true` reports to OpenTelemetry whenever an SDK is
 * registered; `false` turns spans and metrics of this store (and of `@Cached` on it) off; an
 * object tunes them.
 */
export type TelemetryOption = boolean | TelemetryOptions;
