#!/usr/bin/env node
import { runCli } from './run-cli.js';

/**
 * The `kv-store` command (`bin` of the package): `kv-store <export|import|copy|get|range|stats>`.
 * The first Ctrl+C (or SIGTERM) stops long work between batches and closes the stores; a second
 * one exits at once.
 */
const controller = new AbortController();
for (const signalName of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signalName, () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  });
}

// A reader that left (`| head -1`) is not an error, even for writes still queued at exit.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
  controller.signal,
);
// Signal handlers keep nothing alive; the stores are closed, so the process ends on its own.
