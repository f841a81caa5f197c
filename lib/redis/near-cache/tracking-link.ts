import type { Redis } from 'ioredis';

/** The channel Redis publishes RESP2 tracking invalidations on. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';

/** Pause before retrying to establish tracking after a failed attempt, in milliseconds. */
const RETRY_DELAY_MS = 200;

/**
 * How often an up link pings its subscriber, in milliseconds. A connection that stays open but
 * delivers nothing (a network partition without resets) would otherwise only be noticed when TCP
 * gives up; a ping that gets no answer within the store's `timeout` reconnects it, which flushes.
 */
const HEALTH_CHECK_INTERVAL_MS = 1000;

/** What a link reports to the near cache. */
export interface TrackingLinkListener {
  /** Redis key names changed on the server, or null: everything (FLUSHALL, FLUSHDB). */
  invalidate(names: readonly Buffer[] | null): void;
  /** The link can no longer vouch for cached values: a connection closed or tracking is not set. */
  down(): void;
  /**
   * A link confirmed tracking (every read its data connection sends from now on is tracked), or
   * the readiness of the links may have changed: the near cache re-reads whether all are up.
   */
  up(): void;
}

/**
 * One data connection with tracking redirected to one subscriber connection on the same server
 * (`CLIENT TRACKING on REDIRECT <subscriber id>`, RESP2). Tracking belongs to a connection, so
 * whenever either connection closes the link goes down (the cache must be flushed: messages may
 * have been lost) and, once both are ready again, it subscribes, re-enables tracking on the data
 * connection and checks that the redirect target is its own subscriber before going up.
 */
export class TrackingLink {
  private subscriberId: string | undefined;
  private isUpNow = false;
  private closed = false;
  /** Bumped when the subscriber closes: late results of older attempts are ignored. */
  private subscriberEpoch = 0;
  /** Bumped when the data connection closes. */
  private dataEpoch = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private pinging = false;
  private readonly detach: Array<() => void> = [];

  constructor(
    /** The connection the store reads through (owned by the store or the cluster client). */
    readonly data: Redis,
    /** The link's own subscriber connection, named `subscriberName` (closed with the link). */
    private readonly subscriber: Redis,
    private readonly subscriberName: string,
    /** Arguments after `CLIENT TRACKING ON REDIRECT <id>` (the mode). */
    private readonly modeArgs: readonly string[],
    private readonly listener: TrackingLinkListener,
  ) {
    this.listen(subscriber, 'messageBuffer', (channel: unknown, payload: unknown) => {
      if (String(channel) !== INVALIDATION_CHANNEL) return;
      listener.invalidate(Array.isArray(payload) ? (payload as Buffer[]) : null);
    });
    // Without a listener ioredis reports every failed reconnection as unhandled; a failure
    // shows up as 'close' too, which is what matters here.
    this.listen(subscriber, 'error', ignore);
    this.listen(subscriber, 'close', () => this.lost('subscriber'));
    this.listen(subscriber, 'ready', () => void this.subscribe());
    this.listen(data, 'close', () => this.lost('data'));
    this.listen(data, 'ready', () => void this.track());
    if (subscriber.status === 'ready') void this.subscribe();
    // A cluster creates node connections lazily: tracking must be on before the first read.
    if (data.status === 'wait') data.connect().catch(ignore);
  }

  /** Whether reads sent now are tracked and their invalidations reach this link. */
  get isUp(): boolean {
    return this.isUpNow;
  }

  /** Stops listening and closes the subscriber; the data connection is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.isUpNow = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    for (const off of this.detach) off();
    this.subscriber.disconnect();
  }

  private listen(emitter: Redis, event: string, handler: Parameters<Redis['on']>[1]): void {
    emitter.on(event, handler);
    this.detach.push(() => emitter.off(event, handler));
  }

  private lost(which: 'subscriber' | 'data'): void {
    if (which === 'subscriber') {
      this.subscriberEpoch++;
      this.subscriberId = undefined;
    } else {
      this.dataEpoch++;
    }
    this.isUpNow = false;
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.listener.down();
  }

  private async subscribe(): Promise<void> {
    const epoch = this.subscriberEpoch;
    try {
      // CLIENT ID must come before SUBSCRIBE: a RESP2 subscriber accepts no other command.
      const id = String(await this.subscriber.call('CLIENT', 'ID'));
      await this.subscriber.subscribe(INVALIDATION_CHANNEL);
      if (this.closed || epoch !== this.subscriberEpoch) return;
      this.subscriberId = id;
      await this.track();
    } catch {
      this.retryLater();
    }
  }

  private async track(): Promise<void> {
    const id = this.subscriberId;
    if (this.closed || id === undefined || this.data.status !== 'ready') return;
    const epochs = [this.subscriberEpoch, this.dataEpoch];
    const current = (): boolean =>
      !this.closed && epochs[0] === this.subscriberEpoch && epochs[1] === this.dataEpoch;
    try {
      // OFF first: the mode cannot change while tracking is on, and a reconnected subscriber
      // has a new id to redirect to.
      await this.data.call('CLIENT', 'TRACKING', 'OFF');
      await this.data.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, ...this.modeArgs);
      // Client ids are per server: after a failover the two connections may briefly sit on
      // different servers, where the id names someone else (or no one).
      const clients = String(await this.data.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const ours = clients
        .split('\n')
        .some(
          (line) => line.startsWith(`id=${id} `) && line.includes(` name=${this.subscriberName} `),
        );
      if (!current()) return;
      if (!ours) {
        // The data connection follows the primary; the subscriber must find it again.
        this.subscriber.disconnect(true);
        return;
      }
      this.isUpNow = true;
      this.watchHealth();
      this.listener.up();
    } catch {
      if (current()) this.retryLater();
    }
  }

  /** Pings the subscriber while the link is up; no answer in time: reconnect (and so flush). */
  private watchHealth(): void {
    clearInterval(this.healthTimer);
    const epoch = this.subscriberEpoch;
    this.healthTimer = setInterval(() => {
      if (this.pinging) return;
      this.pinging = true;
      this.subscriber
        .ping()
        .catch(() => {
          if (!this.closed && epoch === this.subscriberEpoch) this.subscriber.disconnect(true);
        })
        .finally(() => {
          this.pinging = false;
        });
    }, HEALTH_CHECK_INTERVAL_MS);
    this.healthTimer.unref();
  }

  private retryLater(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.subscriberId === undefined) {
        if (this.subscriber.status === 'ready') void this.subscribe();
      } else {
        void this.track();
      }
    }, RETRY_DELAY_MS);
    this.retryTimer.unref();
  }
}

function ignore(): void {
  // A failed connection attempt is reported by the connection's own events.
}
