import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RedisStoreOptions } from '../../../../lib/index.js';
import { REPO } from '../../../cli/run-cli-process.js';

const SCRIPT = join(REPO, 'test', 'redis', 'near-cache', 'store-peer.script.mjs');

/** A Redis store in another Node process (the built package), driven call by call. */
export interface PeerStore {
  /** Runs `store[op](...args)` in the peer; resolves once the call completed there. */
  call(op: string, ...args: unknown[]): Promise<unknown>;
  /** Ends the peer (closing its store) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts a peer process with a store of `options` and waits until it is connected. */
export async function startPeer(options: RedisStoreOptions): Promise<PeerStore> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [SCRIPT, JSON.stringify(options)],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const { reject } of waiting.values()) reject(new Error(`peer exited: ${stderr}`));
    waiting.clear();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as {
      id: number;
      ok: boolean;
      value?: unknown;
      error?: string;
    };
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.ok) pending?.resolve(message.value);
    else pending?.reject(new Error(message.error));
  });
  let nextId = 0;
  const ready = new Promise<unknown>((resolve, reject) => waiting.set(0, { resolve, reject }));
  await ready;
  return {
    call(op, ...args) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
