import { createServer, connect, type Server, type Socket } from 'node:net';
import { LOOPBACK } from '../../../support/redis-harness.js';

/** A TCP proxy in front of one Redis server that can hold back chosen replies. */
export interface DelayingProxy {
  /** The port clients connect to. */
  readonly port: number;
  /**
   * From now on, server-to-client chunks for which `match` is true are held for `ms` before they
   * are forwarded (later chunks of the same connection wait behind them, so order is kept).
   */
  hold(match: (chunk: Buffer) => boolean, ms: number): void;
  /** Resolves once a chunk matching the current `hold` rule has arrived from the server and is held. */
  held(): Promise<void>;
  /** Forwards everything at once again. */
  release(): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/** A promise with its resolver, for "a matching chunk is held now". */
function heldSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Starts a proxy on a free loopback port forwarding to `targetPort`. */
export async function startDelayingProxy(targetPort: number): Promise<DelayingProxy> {
  let rule: { match: (chunk: Buffer) => boolean; ms: number } | undefined;
  let firstHeld = heldSignal();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, LOOPBACK);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    // Every server chunk is forwarded after the previous one, held ones after their delay.
    let previous = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const delay = rule !== undefined && rule.match(chunk) ? rule.ms : 0;
      if (delay > 0) firstHeld.resolve();
      previous = previous.then(
        () =>
          new Promise<void>((resolve) => {
            if (delay === 0) {
              if (!client.destroyed) client.write(chunk);
              resolve();
              return;
            }
            const timer = setTimeout(() => {
              timers.delete(timer);
              if (!client.destroyed) client.write(chunk);
              resolve();
            }, delay);
            timers.add(timer);
          }),
      );
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    hold(match, ms) {
      rule = { match, ms };
      firstHeld = heldSignal();
    },
    held() {
      return firstHeld.promise;
    },
    release() {
      rule = undefined;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Matches a chunk that carries an invalidation message (not the SUBSCRIBE confirmation). */
export function isInvalidationMessage(chunk: Buffer): boolean {
  return chunk.includes('$7\r\nmessage\r\n$20\r\n__redis__:invalidate');
}
