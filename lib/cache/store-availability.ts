/** First time the cache leaves a store alone after it could not be asked, in milliseconds. */
export const FIRST_AWAY_MS = 1000;
/** Longest time between two probes of a store that cannot be asked, in milliseconds. */
export const MAX_AWAY_MS = 30_000;

/**
 * Whether graced calls may ask the store. After a read fails because the store cannot be asked
 * (connection, timeout, open circuit), graced calls stop asking it and answer from values held
 * in process; one background read probes it after {@link FIRST_AWAY_MS}, then after twice as
 * long each time it fails again (at most {@link MAX_AWAY_MS}). So one caller per instance waits
 * the store's `timeout`, not every call, and a long outage costs one probe per half minute.
 * @internal One per `KvCache`.
 */
export class StoreAvailability {
  private away = false;
  private probing = false;
  private waitMs = FIRST_AWAY_MS;
  private probeAt = 0;

  /** True while graced calls leave the store alone. */
  get isAway(): boolean {
    return this.away;
  }

  /**
   * The store could not be asked at `now`. Only the first failure and a failed probe move the next
   * probe: calls that were already waiting when the store went away fail together, and must not
   * stretch the window.
   */
  failed(now: number): void {
    if (this.away && !this.probing) return;
    this.waitMs = this.away ? Math.min(this.waitMs * 2, MAX_AWAY_MS) : FIRST_AWAY_MS;
    this.away = true;
    this.probing = false;
    this.probeAt = now + this.waitMs;
  }

  /** The store answered; true when it had been away (values held meanwhile must be dropped). */
  answered(): boolean {
    if (!this.away) return false;
    this.away = false;
    this.probing = false;
    this.waitMs = FIRST_AWAY_MS;
    return true;
  }

  /** True when the caller should probe the store now (at most one probe runs at a time). */
  shouldProbe(now: number): boolean {
    if (!this.away || this.probing || now < this.probeAt) return false;
    this.probing = true;
    return true;
  }
}
