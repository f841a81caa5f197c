import type { Redis } from 'ioredis';

/** The channel Redis publishes RESP2 tracking invalidations on. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';

/**
 * Pause before a failed attempt is made again, in milliseconds: before a data connection whose
 * tracking commands failed is asked again, and before a subscriber whose commands failed is
 * reconnected (a refused command, such as a missing ACL permission, would otherwise loop at the
 * reconnection backoff).
 */
const RETRY_DELAY_MS = 200;

/**
 * How often the link checks itself, in milliseconds, whatever its state. An up link pings its
 * subscriber: a connection that stays open but delivers nothing (a partition without resets)
 * would otherwise only be noticed when TCP gives up; a ping that gets no answer within the
 * store's `timeout` reconnects it, which flushes. A link that is not up while both connections
 * are ready and no attempt is running starts one, so nothing can leave it down for good.
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

/** Where the link stands. */
type LinkState = 'down' | 'establishing' | 'up';

/** The subscription of one subscriber connection (one `epoch`): resolves its client id. */
interface Subscription {
  readonly epoch: number;
  readonly id: Promise<string>;
}

/**
 * One data connection with tracking redirected to one subscriber connection on the same server
 * (`CLIENT TRACKING on REDIRECT <subscriber id>`, RESP2), as one state machine: down,
 * establishing, up. Every attempt to establish tracking has its own generation; any event that
 * ends it (a connection closed, a command failed, a newer attempt) bumps the generation, and what
 * an older attempt left behind (a reply, a timer) finds a newer generation and does nothing.
 *
 * An attempt subscribes the subscriber (once per subscriber connection), re-enables tracking on
 * the data connection and checks that the redirect target is its own subscriber before going up.
 * A subscriber command that fails or times out leaves that connection in a state not known here
 * (a SUBSCRIBE answered after its timeout still switches ioredis to subscriber mode): the
 * subscriber is reconnected afresh rather than asked again. The near cache is emptied whenever
 * the link leaves `up` (a connection closed, tracking re-enabled), so tracking is always
 * (re)enabled under an empty near cache, which serves nothing until the link is up again.
 */
export class TrackingLink {
  private state: LinkState = 'down';
  private closed = false;
  /** Bumped whenever an attempt or an up link ends: late results of older ones are ignored. */
  private generation = 0;
  /** Bumped when the subscriber closes: each of its connections subscribes once. */
  private subscriberEpoch = 0;
  private subscription: Subscription | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly healthTimer: NodeJS.Timeout;
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
    this.listen(subscriber, 'close', () => {
      this.subscriberEpoch++;
      this.subscription = undefined;
      this.lost();
    });
    this.listen(subscriber, 'ready', () => this.restart());
    this.listen(data, 'close', () => this.lost());
    this.listen(data, 'ready', () => this.restart());
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_CHECK_INTERVAL_MS);
    this.healthTimer.unref();
    // A cluster creates node connections lazily: tracking must be on before the first read.
    if (data.status === 'wait') data.connect().catch(ignore);
    this.restart();
  }

  /** Whether reads sent now are tracked and their invalidations reach this link. */
  get isUp(): boolean {
    return this.state === 'up';
  }

  /** Stops listening and closes the subscriber; the data connection is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.state = 'down';
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    for (const off of this.detach) off();
    this.subscriber.disconnect();
  }

  private listen(emitter: Redis, event: string, handler: Parameters<Redis['on']>[1]): void {
    emitter.on(event, handler);
    this.detach.push(() => emitter.off(event, handler));
  }

  /** A connection closed: messages may have been lost, the near cache is emptied. */
  private lost(): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.state = 'down';
    this.listener.down();
  }

  /** Ends whatever attempt or up link there is and starts a new attempt once both are ready. */
  private restart(): void {
    if (this.closed) return;
    const wasUp = this.state === 'up';
    const generation = ++this.generation;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.state = 'down';
    // Tracking is about to be turned off and on again: writes in between are not reported.
    if (wasUp) this.listener.down();
    if (this.subscriber.status !== 'ready' || this.data.status !== 'ready') return;
    this.state = 'establishing';
    void this.establish(generation);
  }

  private async establish(generation: number): Promise<void> {
    const current = (): boolean => !this.closed && generation === this.generation;
    let id: string;
    try {
      id = await this.subscribe().id;
    } catch {
      // subscribe() reconnects the subscriber; its 'ready' starts the next attempt.
      if (current()) this.state = 'down';
      return;
    }
    if (!current()) return;
    let ours: boolean;
    try {
      // OFF first: the mode cannot change while tracking is on, and a reconnected subscriber
      // has a new id to redirect to. Replies on the data connection stay in order, so an older
      // attempt's late reply cannot be taken for this one's, and the last ON sent wins.
      await this.data.call('CLIENT', 'TRACKING', 'OFF');
      await this.data.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, ...this.modeArgs);
      // Client ids are per server: after a failover the two connections may briefly sit on
      // different servers, where the id names someone else (or no one).
      const clients = String(await this.data.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      ours = clients
        .split('\n')
        .some(
          (line) => line.startsWith(`id=${id} `) && line.includes(` name=${this.subscriberName} `),
        );
    } catch {
      if (current()) this.retryLater(generation);
      return;
    }
    if (!current()) return;
    if (!ours) {
      // The data connection follows the primary; the subscriber must find it again.
      this.state = 'down';
      this.subscriber.disconnect(true);
      return;
    }
    this.state = 'up';
    this.listener.up();
  }

  /**
   * The subscription of the current subscriber connection, started on first use. When its
   * CLIENT ID or SUBSCRIBE fails or times out, that connection is dropped and opened afresh.
   */
  private subscribe(): Subscription {
    if (this.subscription?.epoch === this.subscriberEpoch) return this.subscription;
    const epoch = this.subscriberEpoch;
    const id = (async (): Promise<string> => {
      // CLIENT ID must come before SUBSCRIBE: a RESP2 subscriber accepts no other command.
      const id = String(await this.subscriber.call('CLIENT', 'ID'));
      await this.subscriber.subscribe(INVALIDATION_CHANNEL);
      return id;
    })();
    id.catch(() => {
      const timer = setTimeout(() => {
        if (!this.closed && epoch === this.subscriberEpoch) this.subscriber.disconnect(true);
      }, RETRY_DELAY_MS);
      timer.unref();
    });
    this.subscription = { epoch, id };
    return this.subscription;
  }

  private retryLater(generation: number): void {
    this.state = 'down';
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (generation === this.generation) this.restart();
    }, RETRY_DELAY_MS);
    this.retryTimer.unref();
  }

  private checkHealth(): void {
    if (this.closed) return;
    if (this.state === 'up') {
      if (this.pinging) return;
      this.pinging = true;
      const epoch = this.subscriberEpoch;
      this.subscriber
        .ping()
        .catch(() => {
          if (!this.closed && epoch === this.subscriberEpoch) this.subscriber.disconnect(true);
        })
        .finally(() => {
          this.pinging = false;
        });
      return;
    }
    // Down with both connections ready and nothing pending: no event is coming to start the
    // next attempt, so start it here.
    if (
      this.state === 'down' &&
      this.retryTimer === undefined &&
      this.subscriber.status === 'ready' &&
      this.data.status === 'ready'
    ) {
      this.restart();
    }
  }
}

function ignore(): void {
  // A failed connection attempt is reported by the connection's own events.
}
