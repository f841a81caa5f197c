import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A helper process of a case (another instance of the library), forked with an IPC channel. */
export interface Forked<Reply> {
  child: ChildProcess;
  /** The helper's next message, in the order they come. */
  nextReply(): Promise<Reply>;
  /** Sends 'stop' (the helper closes its stores and disconnects) and waits for its exit. */
  stop(): Promise<void>;
}

/** Forks `bench/support/<script>.js` with `args`. */
export function forkHelper<Reply>(script: string, args: readonly string[]): Forked<Reply> {
  const child = fork(join(here, `${script}.js`), [...args]);
  const waiting: Array<(message: Reply) => void> = [];
  child.on('message', (message: Reply) => waiting.shift()?.(message));
  return {
    child,
    nextReply: () => new Promise((resolve) => waiting.push(resolve)),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}
