import type { Cluster, Redis } from 'ioredis';
import type { TrackingSource } from './near-cache.js';
import { TrackingLink, type TrackingLinkListener } from './tracking-link.js';

/** Opens a named subscriber connection to one cluster node. */
export type NodeSubscriberFactory = (node: { host: string; port: number }, name: string) => Redis;

/**
 * Tracking on a Redis Cluster: one {@link TrackingLink} per master, pairing the cluster client's
 * own connection to that master with a subscriber on the same node (a node only reports changes
 * of its own slots, to clients connected to it). Up only while every current master has an up
 * link. A new or lost master, and a change of the owner of any slot the store uses (resharding,
 * a MOVED redirect, a failover, all seen on the client's slot refresh), flush the near cache.
 */
export class ClusterTracking implements TrackingSource {
  private readonly links = new Map<string, TrackingLink>();
  private slotOwners: string;
  private closed = false;
  private linkCount = 0;
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly openSubscriber: NodeSubscriberFactory,
    private readonly subscriberName: string,
    private readonly modeArgs: readonly string[],
    private readonly listener: TrackingLinkListener,
    /** The slots of the store's hash tags: only their owners matter. */
    private readonly slots: readonly number[],
  ) {
    this.slotOwners = this.currentOwners();
    const reconcile = (): void => this.reconcile();
    const refreshed = (): void => {
      const owners = this.currentOwners();
      if (owners !== this.slotOwners) {
        this.slotOwners = owners;
        this.listener.down();
      }
      this.reconcile();
    };
    for (const [event, handler] of [
      ['+node', reconcile],
      ['-node', reconcile],
      ['ready', reconcile],
      ['refresh', refreshed],
    ] as const) {
      cluster.on(event, handler);
      this.detach.push(() => cluster.off(event, handler));
    }
    this.reconcile();
  }

  /** True when the cluster is ready and every master's link is up. */
  get isUp(): boolean {
    if (this.closed || this.cluster.status !== 'ready') return false;
    const masters = this.cluster.nodes('master');
    if (masters.length === 0) return false;
    return masters.every((master) => {
      const link = this.links.get(nodeKey(master));
      return link !== undefined && link.data === master && link.isUp;
    });
  }

  /** Closes every link's subscriber and stops following the cluster. */
  close(): void {
    this.closed = true;
    for (const off of this.detach) off();
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  /** Opens links for new masters and closes those of nodes that are no longer masters. */
  private reconcile(): void {
    if (this.closed) return;
    const masters = this.cluster.nodes('master');
    const wanted = new Map(masters.map((master) => [nodeKey(master), master]));
    let changed = false;
    for (const [key, link] of this.links) {
      if (wanted.get(key) !== link.data) {
        link.close();
        this.links.delete(key);
        changed = true;
      }
    }
    for (const [key, master] of wanted) {
      if (this.links.has(key)) continue;
      const node = { host: master.options.host ?? '', port: master.options.port ?? 0 };
      const name = `${this.subscriberName}:${++this.linkCount}`;
      this.links.set(
        key,
        new TrackingLink(
          master,
          this.openSubscriber(node, name),
          name,
          this.modeArgs,
          this.listener,
        ),
      );
      changed = true;
    }
    if (changed) this.listener.down();
    // The cluster may turn ready after every link came up: the near cache re-reads isUp.
    this.listener.up();
  }

  private currentOwners(): string {
    return this.slots.map((slot) => this.cluster.slots[slot]?.[0] ?? '').join(',');
  }
}

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
