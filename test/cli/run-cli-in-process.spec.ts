import { PassThrough, Readable } from 'node:stream';
import { RedisStore } from '../../lib/index.js';
import type { CliIo } from '../../lib/cli/cli-io.js';
import { EXIT_CODES } from '../../lib/cli/exit-codes.js';
import { runCli } from '../../lib/cli/run-cli.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';

/** Standard streams captured in memory; `tty` makes stderr claim to be a terminal. */
function fakeIo(
  env: Record<string, string>,
  tty: boolean,
): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout, stderr, stdin: Readable.from([]), env, out: () => out, err: () => err };
}

let server: SharedServer;
let store: RedisStore;
let env: Record<string, string>;

beforeAll(async () => {
  server = sharedStandalone();
  const prefix = uniquePrefix('cli-progress');
  env = { KV_REDIS_URL: `redis://${LOOPBACK}:${server.port}`, KV_KEY_PREFIX: prefix };
  store = new RedisStore({ url: env.KV_REDIS_URL, keyPrefix: prefix, timeout: 5 });
  await store.putMany(Array.from({ length: 2000 }, (_, i) => [`k${i}`, { i }] as const));
});
afterAll(async () => {
  await store?.clear();
  await store?.close();
});

describe('kv-store progress and interruption', () => {
  it('draws a progress bar on stderr only when stderr is a terminal', async () => {
    const terminal = fakeIo(env, true);
    const target = `${env.KV_KEY_PREFIX}copy-a:`;
    const code = await runCli(
      ['copy', '--to-key-prefix', target, '--batch-size', '100'],
      terminal,
      new AbortController().signal,
    );
    expect(code).toBe(EXIT_CODES.ok);
    expect(terminal.err()).toMatch(/100% \| 2000 copied \| 0 skipped/);
    expect(terminal.err()).toContain('copied 2000 keys (0 skipped)');

    const pipe = fakeIo(env, false);
    await runCli(
      ['copy', '--to-key-prefix', `${env.KV_KEY_PREFIX}copy-b:`],
      pipe,
      new AbortController().signal,
    );
    expect(pipe.err()).toMatch(/^copied 2000 keys \(0 skipped\) from .*\n$/);
    // eslint-disable-next-line no-control-regex
    expect(pipe.err()).not.toMatch(/\u001b|\r/);
    await Promise.all(
      [target, `${env.KV_KEY_PREFIX}copy-b:`].map(async (keyPrefix) => {
        const copy = new RedisStore({ url: env.KV_REDIS_URL, keyPrefix, timeout: 5 });
        expect((await copy.getStats()).totalKeys).toBe(2000);
        await copy.clear();
        await copy.close();
      }),
    );
  });

  it('stops between batches when interrupted and exits with 130', async () => {
    const io = fakeIo(env, false);
    const controller = new AbortController();
    controller.abort();
    const code = await runCli(['export', '--batch-size', '100'], io, controller.signal);
    expect(code).toBe(EXIT_CODES.interrupted);
    expect(io.err()).toMatch(/^kv-store export: interrupted\n$/);
  });
});
