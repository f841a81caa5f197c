/** Most finished flights kept at once; past it the oldest go first (a late read then runs again). */
const MAX_FINISHED_FLIGHTS = 1000;

/**
 * Flights of this process that finished while store reads issued before their end were still
 * outstanding. Such a read may answer with the store as it was before the flight's write; its
 * caller then shares the finished flight's result instead of running the method a second time.
 *
 * Epochs count the flights recorded here. A read remembers the epoch it was issued in; a flight
 * that finished in a later epoch ended after the read was issued. The hit path pays two integer
 * updates per read, nothing more: records are dropped all at once once no read is outstanding,
 * and the oldest first past {@link MAX_FINISHED_FLIGHTS} under constant load.
 * @internal One per `CacheCaller`.
 */
export class FinishedFlights {
  private epoch = 0;
  /** Store reads issued and not answered yet. */
  private outstanding = 0;
  /** Finished flights by flight id, oldest first. */
  private readonly flights = new Map<string, { epoch: number; result: Promise<unknown> }>();

  /** Marks a store read as issued; pass the returned epoch to `since`, and call `readDone`. */
  readStarted(): number {
    // No read is outstanding: no record can serve any read from now on.
    if (this.outstanding++ === 0 && this.flights.size > 0) this.flights.clear();
    return this.epoch;
  }

  /**
   * Marks a store read as answered. Records are not dropped here: the caller asks `since` right
   * after, in the same synchronous step, and the next `readStarted` or `finished` drops them.
   */
  readDone(): void {
    this.outstanding--;
  }

  /** Records the settled flight `id`, for the reads issued before now that are still outstanding. */
  finished(id: string, result: Promise<unknown>): void {
    // No read is outstanding: every later read is issued after the flight's write.
    if (this.outstanding === 0) {
      if (this.flights.size > 0) this.flights.clear();
      return;
    }
    this.epoch++;
    this.flights.delete(id);
    this.flights.set(id, { epoch: this.epoch, result });
    if (this.flights.size > MAX_FINISHED_FLIGHTS) {
      this.flights.delete(this.flights.keys().next().value as string);
    }
  }

  /** The result of flight `id` if it finished after a read issued in `epoch`, else undefined. */
  since(id: string, epoch: number): Promise<unknown> | undefined {
    const flight = this.flights.get(id);
    return flight !== undefined && flight.epoch > epoch ? flight.result : undefined;
  }

  /** How many finished flights are kept now; for tests. */
  get size(): number {
    if (this.outstanding === 0) this.flights.clear();
    return this.flights.size;
  }
}
