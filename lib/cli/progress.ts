import cliProgress from 'cli-progress';

/** Progress shown while a long command runs; does nothing when progress is not shown. */
export interface Progress {
  /** Moves the bar to `value` (keys, or bytes of the dump) and updates the counts shown. */
  update(value: number, counts: { done: number; skipped: number }): void;
  /** Draws the bar a last time and restores the cursor; idempotent. */
  stop(): void;
}

/** What a progress bar counts and whether it may be drawn. */
export interface ProgressSpec {
  /** Draw it: the caller checked that stderr is a terminal and `--quiet` was not given. */
  enabled: boolean;
  /** The stream to draw on (stderr, so that stdout stays clean for data). */
  stream: NodeJS.WritableStream;
  /** What `value` reaches at the end (keys or bytes); undefined: unknown, no bar is drawn. */
  total: number | undefined;
  /** The past participle shown with the count: "copied", "exported", "imported". */
  verb: string;
}

const QUIET: Progress = { update: () => undefined, stop: () => undefined };

/**
 * A cli-progress bar on stderr, or a no-op when `enabled` is false (stderr is not a terminal,
 * or `--quiet`): logs and pipes never get control sequences.
 */
export function createProgress(spec: ProgressSpec): Progress {
  if (!spec.enabled) return QUIET;
  const counts = `{done} ${spec.verb} | {skipped} skipped`;
  const format =
    spec.total === undefined
      ? `${counts} | {duration_formatted}`
      : `{bar} {percentage}% | ${counts} | ETA {eta_formatted}`;
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: spec.stream,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(spec.total ?? 0, 0, { done: 0, skipped: 0 });
  let stopped = false;
  return {
    update(value, { done, skipped }) {
      if (!stopped) bar.update(value, { done, skipped });
    },
    stop() {
      // Idempotent: commands stop the bar before their summary and again in `finally`.
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
