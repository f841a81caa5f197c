import { FileAccessError } from './file-error.js';

/** What {@link watchOutput} reports about standard output while a command runs. */
export interface OutputWatch {
  /** The caller's signal, also aborted once standard output fails. */
  readonly signal: AbortSignal;
  /** True once the reader of standard output went away (EPIPE: `| head -1` has what it wanted). */
  readerLeft(): boolean;
  /** The failure to report when standard output failed for another reason. */
  failure(): Error | undefined;
  /** Stops watching. */
  stop(): void;
}

/**
 * Watches `stdout` for write errors. A reader that leaves early (`kv-store range | head -1`) is
 * not a failure: like Unix tools, the command stops quietly and exits 0. Any other write error
 * stops the command and is reported as a file error.
 */
export function watchOutput(stdout: NodeJS.WritableStream, signal: AbortSignal): OutputWatch {
  const controller = new AbortController();
  let left = false;
  let failure: Error | undefined;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') left = true;
    else failure ??= new FileAccessError(`cannot write to stdout: ${error.message}`, error);
    controller.abort(error);
  };
  stdout.on('error', onError);
  return {
    signal: AbortSignal.any([signal, controller.signal]),
    readerLeft: () => left,
    failure: () => failure,
    stop: () => {
      stdout.off('error', onError);
    },
  };
}
