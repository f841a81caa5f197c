import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RedisStore } from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { CLI, REPO, assertBuiltCli, runCli, startCli, type CliRun } from './run-cli-process.js';

/** Tests that start several Node processes: generous on a busy machine, still bounded. */
const SPAWNING_TEST_TIMEOUT = 90_000;
const MIB = 1024 * 1024;

let server: RedisProcess;
let work: string;
const stores: RedisStore[] = [];

beforeAll(async () => {
  await assertBuiltCli();
  server = await startRedis();
  work = await mkdtemp(join(tmpdir(), 'kv-cli-faults-'));
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function url(): string {
  return `redis://${LOOPBACK}:${server.port}`;
}

/** A json store under a fresh prefix, and the flags that name it on the command line. */
function open(): { store: RedisStore; flags: string[] } {
  const prefix = uniquePrefix('cli-faults');
  const store = new RedisStore({ url: url(), keyPrefix: prefix, timeout: 5 });
  stores.push(store);
  return { store, flags: ['--url', url(), '--key-prefix', prefix] };
}

function expectOneLine(run: CliRun, pattern: RegExp): void {
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at |node:events|Unhandled/);
}

function hasControlCharacters(text: string): boolean {
  return [...text].some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== '\n') || (code >= 0x7f && code <= 0x9f) || code === 0xfffd;
  });
}

const HEADER =
  '{"format":"nestjs-kv-store-dump","version":1,"encoding":"json","serializer":"json","exportedAt":"2026-01-01T00:00:00.000Z"}';
const entry = (key: string, value: unknown, expiresAt: number | null = null): string =>
  JSON.stringify({ key, value, expiresAt });
const END = '{"end":true,"entries":0}';

describe('kv-store export to a path that cannot be written', () => {
  it(
    'prints one line naming the file and exits 6, whatever the store holds',
    async () => {
      const { store, flags } = open();
      await store.putMany(Array.from({ length: 50 }, (_, i) => [`k${i}`, i] as const));
      for (let attempt = 0; attempt < 3; attempt++) {
        const run = await runCli(['export', '/no/such/dir/x.jsonl', ...flags]);
        expect(run.code).toBe(6);
        expectOneLine(run, /^kv-store export: cannot write \/no\/such\/dir\/x\.jsonl: /);
        expect(run.stderr).not.toMatch(/partial/);
      }
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store range piped into a reader that stops early (| head -1)', () => {
  it(
    'exits 0 quietly once the reader has gone',
    async () => {
      const { store, flags } = open();
      await store.putMany(
        Array.from(
          { length: 5000 },
          (_, i) => [`k${String(i).padStart(5, '0')}`, 'x'.repeat(200)] as const,
        ),
      );
      const { child, done } = startCli(['range', '', ...flags]);
      // What `head -1` does: read the first line, then close the pipe.
      await new Promise<void>((resolveFirst) => {
        child.stdout.once('data', () => {
          child.stdout.destroy();
          resolveFirst();
        });
      });
      const run = await done;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store messages', () => {
  it(
    'an unknown flag is named with balanced quotes, exit 2',
    async () => {
      const run = await runCli(['range', '--bogus', '--url', url()]);
      expect(run.code).toBe(2);
      expectOneLine(
        run,
        /^kv-store range: unknown option --bogus \(see kv-store range --help\)\n$/,
      );
      const quotes = run.stderr.match(/['"]/g) ?? [];
      expect(quotes.length % 2).toBe(0);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'rediss:// against a plain server says the TLS handshake did not finish, exit 3',
    async () => {
      const run = await runCli([
        'stats',
        '--url',
        `rediss://${LOOPBACK}:${server.port}`,
        '--timeout',
        '1',
      ]);
      expect(run.code).toBe(3);
      expectOneLine(run, /TLS/);
      expect(run.stderr).toMatch(/rediss:\/\/|redis:\/\//);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store import of hostile input', () => {
  it(
    'binary input is reported by line number without echoing its bytes, exit 5',
    async () => {
      const { flags } = open();
      const file = join(work, 'binary.jsonl');
      await writeFile(
        file,
        Buffer.concat([
          Buffer.from(`${HEADER}\n`),
          Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xff, 0x00, 0x9b, 0x0a]),
        ]),
      );
      const run = await runCli(['import', file, ...flags]);
      expect(run.code).toBe(5);
      expectOneLine(run, /^kv-store import: Dump line 2: the line is not UTF-8 text/);
      expect(hasControlCharacters(run.stderr)).toBe(false);

      const text = join(work, 'control.jsonl');
      await writeFile(text, `${HEADER}\n\u001b[2J\u0007 not json\n${END}\n`);
      const again = await runCli(['import', text, ...flags]);
      expect(again.code).toBe(5);
      expectOneLine(again, /^kv-store import: Dump line 2: not valid JSON/);
      expect(hasControlCharacters(again.stderr)).toBe(false);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'a line longer than --max-line-bytes is named, exit 5; the lines before it are imported',
    async () => {
      const { store, flags } = open();
      const file = join(work, 'long.jsonl');
      await writeFile(
        file,
        [HEADER, entry('a', 1), entry('b', 'x'.repeat(5000)), END, ''].join('\n'),
      );
      const run = await runCli(['import', file, ...flags, '--max-line-bytes', '1000']);
      expect(run.code).toBe(5);
      expectOneLine(run, /^kv-store import: Dump line 3: the line is longer than 1000 bytes/);
      expect(await store.getMany(['a', 'b'])).toEqual([1, undefined]);
      const bad = await runCli(['import', file, ...flags, '--max-line-bytes', 'lots']);
      expect(bad.code).toBe(2);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'a valid dump followed by a blank line imports and exits 0',
    async () => {
      const { store, flags } = open();
      const file = join(work, 'blank.jsonl');
      await writeFile(file, `${[HEADER, entry('a', 1), END].join('\n')}\n\n`);
      const run = await runCli(['import', file, ...flags]);
      expect(run.stderr).toMatch(/^imported 1 key \(0 skipped\)/);
      expect(run.code).toBe(0);
      expect(await store.get('a')).toBe(1);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'a value nested 100,000 deep is named by line and key, exit 5',
    async () => {
      const { flags } = open();
      const file = join(work, 'deep.jsonl');
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      await writeFile(file, `${HEADER}\n{"key":"deep","value":${deep},"expiresAt":null}\n${END}\n`);
      const run = await runCli(['import', file, ...flags]);
      expect(run.code).toBe(5);
      expectOneLine(
        run,
        /^kv-store import: Dump line 2: key "deep": the value is nested more than 1000 levels deep/,
      );
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'a key on two lines with --overwrite: the last line wins and the summary counts one key',
    async () => {
      const { store, flags } = open();
      const file = join(work, 'twice.jsonl');
      const later = Date.now() + 3_600_000;
      await writeFile(
        file,
        [HEADER, entry('k', 'first', later), entry('k', 'second'), END, ''].join('\n'),
      );
      const run = await runCli(['import', file, ...flags, '--overwrite']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^imported 1 key \(0 skipped\)/);
      expect(await store.get('k')).toBe('second');
      expect(await store.ttl('k')).toBeNull();
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

/** Runs the CLI with `input` streamed into stdin from a generator; resolves its run and peak RSS. */
async function importMeasured(
  args: readonly string[],
  input: () => Generator<Buffer>,
): Promise<CliRun & { peakRss: number }> {
  const rssFile = join(work, `rss-${Date.now()}-${Math.random()}.txt`);
  const child = spawn(
    process.execPath,
    ['--import', resolve(REPO, 'test/cli/support/report-peak-rss.mjs'), CLI, ...args],
    {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PEAK_RSS_FILE: rssFile },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The CLI stops reading at the bad line: writes after that fail with EPIPE, as a pipe would.
  child.stdin.on('error', () => undefined);
  const closed = new Promise<number | null>((resolveClose) => child.once('close', resolveClose));
  for (const chunk of input()) {
    if (child.stdin.destroyed || child.exitCode !== null) break;
    if (!child.stdin.write(chunk)) {
      await Promise.race([
        new Promise((resolveDrain) => child.stdin.once('drain', resolveDrain)),
        closed,
      ]);
    }
  }
  child.stdin.end();
  const code = await closed;
  const peakRss = Number(await readFile(rssFile, 'utf8'));
  return { code, stdout, stderr, peakRss };
}

function* lineOf(prefix: string, bytes: number, suffix: string): Generator<Buffer> {
  yield Buffer.from(`${HEADER}\n${prefix}`);
  const chunk = Buffer.alloc(MIB, 0x61);
  for (let sent = 0; sent < bytes; sent += MIB) yield chunk;
  yield Buffer.from(suffix);
}

describe('kv-store import memory', () => {
  it(
    'a 600 MB line with no newline exits 5 naming line 2 with a peak RSS far below the line (default limit)',
    async () => {
      const { flags } = open();
      const run = await importMeasured(['import', ...flags], () =>
        lineOf('{"key":"huge","value":"', 600 * MIB, ''),
      );
      expect(run.code).toBe(5);
      expectOneLine(run, /^kv-store import: Dump line 2: the line is longer than 134217728 bytes/);
      process.stdout.write(
        `peak RSS, 600 MB line without newline: ${(run.peakRss / MIB).toFixed(0)} MiB\n`,
      );
      expect(run.peakRss).toBeLessThan(400 * MIB);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'a valid 60 MB line is imported with a peak RSS of a few times the line',
    async () => {
      const { store, flags } = open();
      const run = await importMeasured(['import', ...flags], () =>
        lineOf('{"key":"big","value":"', 60 * MIB, `","expiresAt":null}\n${END}\n`),
      );
      expect(run.stderr).toMatch(/^imported 1 key/);
      expect(run.code).toBe(0);
      expect(((await store.get('big')) as string).length).toBe(60 * MIB);
      process.stdout.write(`peak RSS, valid 60 MB line: ${(run.peakRss / MIB).toFixed(0)} MiB\n`);
      expect(run.peakRss).toBeLessThan(600 * MIB);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});
