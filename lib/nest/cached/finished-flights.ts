/**
 * Flights of this process that finished while store reads issued before their end were still
 * outstanding. Such a read may answer with the store as it was before the flight's write; its
 * caller then shares the finished flight's result instead of running the method a second time.
 *
 * Epochs count the flights recorded here. A read remembers the epoch it was issued in; a flight
 * that finished in a later epoch ended after the read was issued. A record is dropped as soon as
 * no outstanding read is older than it, so the map holds only flights some read may still need.
 * @internal One per `CachedCaller`.
 */
export class FinishedFlights {
  private epoch = 0;
  /** Outstanding reads, counted per epoch they were issued in; oldest epoch first. */
  private readonly reads = new Map<number, number>();
  /** Finished flights by flight id, oldest first. */
  private readonly flights = new Map<string, { epoch: number; result: Promise<unknown> }>();

  /** Marks a store read as issued; pass the returned epoch to `readDone` and `since`. */
  readStarted(): number {
    const { epoch } = this;
    this.reads.set(epoch, (this.reads.get(epoch) ?? 0) + 1);
    return epoch;
  }

  /** Marks a store read as answered. */
  readDone(epoch: number): void {
    const left = (this.reads.get(epoch) ?? 1) - 1;
    if (left > 0) this.reads.set(epoch, left);
    else this.reads.delete(epoch);
  }

  /** Records the settled flight `id`, for the reads issued before now that are still outstanding. */
  finished(id: string, result: Promise<unknown>): void {
    this.prune();
    // No read is outstanding: every later read is issued after the flight's write.
    if (this.reads.size === 0) return;
    this.epoch++;
    this.flights.delete(id);
    this.flights.set(id, { epoch: this.epoch, result });
  }

  /** The result of flight `id` if it finished after a read issued in `epoch`, else undefined. */
  since(id: string, epoch: number): Promise<unknown> | undefined {
    const flight = this.flights.get(id);
    return flight !== undefined && flight.epoch > epoch ? flight.result : undefined;
  }

  /** How many finished flights are kept now; for tests. */
  get size(): number {
    this.prune();
    return this.flights.size;
  }

  /** Drops the flights that no outstanding read was issued before. */
  private prune(): void {
    const oldest = this.reads.keys().next();
    const oldestRead = oldest.done ? Infinity : oldest.value;
    for (const [id, flight] of this.flights) {
      if (flight.epoch > oldestRead) break;
      this.flights.delete(id);
    }
  }
}
