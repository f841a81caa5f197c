/**
 * Expiry times of a bounded memory store's entries, earliest first, so that making room for a new
 * entry can free an expired one before evicting a live one, in O(log n). A binary min-heap with
 * lazy deletion: an overwritten or removed entry leaves its old slot behind, and `isCurrent` tells
 * stale slots from current ones when they reach the top. Stale slots are dropped in bulk once
 * they outnumber the entries, so the heap stays within a constant factor of the store.
 */
export class ExpiryQueue {
  private times: number[] = [];
  private keys: string[] = [];

  /**
   * @param isCurrent whether `key` still expires at `expiresAt` (epoch milliseconds) in the store.
   */
  constructor(private readonly isCurrent: (key: string, expiresAt: number) => boolean) {}

  /** Records that `key` expires at `expiresAt` (epoch milliseconds). `liveCount`: entries held. */
  push(key: string, expiresAt: number, liveCount: number): void {
    if (this.times.length > 2 * liveCount + 64) this.compact();
    this.times.push(expiresAt);
    this.keys.push(key);
    this.siftUp(this.times.length - 1);
  }

  /**
   * Removes and returns the key of the earliest current entry that has expired by `now`, or
   * `undefined` when no entry has expired.
   */
  takeExpired(now: number): string | undefined {
    while (this.times.length > 0) {
      const expiresAt = this.times[0] as number;
      const key = this.keys[0] as string;
      if (this.isCurrent(key, expiresAt)) {
        if (expiresAt > now) return undefined;
        this.popTop();
        return key;
      }
      this.popTop();
    }
    return undefined;
  }

  /** Forgets every slot. */
  clear(): void {
    this.times = [];
    this.keys = [];
  }

  private compact(): void {
    const times: number[] = [];
    const keys: string[] = [];
    for (let i = 0; i < this.times.length; i++) {
      if (this.isCurrent(this.keys[i] as string, this.times[i] as number)) {
        times.push(this.times[i] as number);
        keys.push(this.keys[i] as string);
      }
    }
    this.times = times;
    this.keys = keys;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private popTop(): void {
    const lastTime = this.times.pop() as number;
    const lastKey = this.keys.pop() as string;
    if (this.times.length === 0) return;
    this.times[0] = lastTime;
    this.keys[0] = lastKey;
    this.siftDown(0);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.times[parent] as number) <= (this.times[i] as number)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const size = this.times.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < size && (this.times[left] as number) < (this.times[smallest] as number)) {
        smallest = left;
      }
      if (right < size && (this.times[right] as number) < (this.times[smallest] as number)) {
        smallest = right;
      }
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const time = this.times[a] as number;
    this.times[a] = this.times[b] as number;
    this.times[b] = time;
    const key = this.keys[a] as string;
    this.keys[a] = this.keys[b] as string;
    this.keys[b] = key;
  }
}
