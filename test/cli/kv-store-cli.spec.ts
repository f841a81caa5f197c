import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore, type SerializerName } from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { assertBuiltCli, runCli, startCli, type CliRun } from './run-cli-process.js';
import { waitUntil } from '../support/redis-harness.js';

/** Tests that start several Node processes: generous on a busy machine, still bounded. */
const SPAWNING_TEST_TIMEOUT = 60_000;

let first: RedisProcess;
let second: RedisProcess;
let work: string;
const stores: RedisStore[] = [];

beforeAll(async () => {
  await assertBuiltCli();
  [first, second] = await Promise.all([startRedis(), startRedis()]);
  work = await mkdtemp(join(tmpdir(), 'kv-cli-'));
});
afterAll(async () => {
  for (const store of stores) {
    await store.clear();
    await store.close();
  }
  await Promise.all([first?.stop(), second?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

function urlOf(server: RedisProcess): string {
  return `redis://${LOOPBACK}:${server.port}`;
}

/** A store under a fresh prefix on `server`, cleared after the suite. */
function open(
  server: RedisProcess,
  serializer: SerializerName = 'json',
): { store: RedisStore; prefix: string } {
  const prefix = uniquePrefix('cli');
  const store = new RedisStore({ url: urlOf(server), keyPrefix: prefix, serializer, timeout: 5 });
  stores.push(store);
  return { store, prefix };
}

/** Flags naming a store the way a user would type them. */
function flags(server: RedisProcess, prefix: string): string[] {
  return ['--url', urlOf(server), '--key-prefix', prefix];
}

function expectOneLineError(run: CliRun, pattern: RegExp): void {
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('kv-store --help and usage', () => {
  it(
    'lists the commands and exit codes; no command is a usage error',
    async () => {
      const help = await runCli(['--help']);
      expect(help.code).toBe(0);
      for (const name of ['export', 'import', 'copy', 'get', 'range', 'stats'])
        expect(help.stdout).toContain(`  ${name} `);
      expect(help.stdout).toMatch(/Exit codes:[\s\S]*130 {2}interrupted/);
      const viaHelp = await runCli(['help', 'export']);
      expect(viaHelp.stdout).toBe((await runCli(['export', '-h'])).stdout);
      const none = await runCli([]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('Usage: kv-store <command>');
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it.each(['export', 'import', 'copy', 'get', 'range', 'stats'])(
    '%s --help prints its own usage',
    async (name) => {
      const run = await runCli([name, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: kv-store ${name}`));
      expect(run.stdout).toContain('--verbose');
    },
  );

  it(
    'rejects unknown commands, unknown flags and bad values with exit code 2 on one line',
    async () => {
      const unknown = await runCli(['frobnicate']);
      expect(unknown.code).toBe(2);
      expectOneLineError(unknown, /^kv-store: unknown command "frobnicate"/);
      const flag = await runCli(['stats', '--frob', '--url', 'redis://127.0.0.1:1']);
      expect(flag.code).toBe(2);
      expectOneLineError(
        flag,
        /^kv-store stats: unknown option --frob \(see kv-store stats --help\)/,
      );
      const serializer = await runCli([
        'stats',
        '--url',
        'redis://127.0.0.1:1',
        '--serializer',
        'yaml',
      ]);
      expect(serializer.code).toBe(2);
      expectOneLineError(serializer, /--serializer must be one of json, rich, pickle/);
      const noStore = await runCli(['stats']);
      expect(noStore.code).toBe(2);
      expectOneLineError(noStore, /no Redis store given: pass --url .* or set KV_REDIS_URL/);
      const memory = await runCli(['stats'], { env: { KV_STORE_TYPE: 'memory' } });
      expect(memory.code).toBe(2);
      expectOneLineError(memory, /works on Redis stores only/);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store get, range and stats', () => {
  it(
    'reads the store given by flags or by the Nest environment variables',
    async () => {
      const { store, prefix } = open(first);
      await store.putMany([
        ['user:1', { name: 'Ada' }],
        ['user:2', { name: 'Linus' }],
        ['order:1', [1, 2]],
      ]);
      // The lower bounds below allow for the time spent since the write, on a loaded machine.
      const sessionWritten = Date.now();
      await store.put('session', 'abc', { ttl: 90 });

      const get = await runCli(['get', 'user:1', ...flags(first, prefix)]);
      expect(get).toEqual({ code: 0, stdout: '{"name":"Ada"}\n', stderr: '' });
      const env = { KV_REDIS_URL: urlOf(first), KV_KEY_PREFIX: prefix };
      expect((await runCli(['get', 'order:1'], { env })).stdout).toBe('[1,2]\n');
      const ttl = await runCli(['get', 'session', '--ttl'], { env });
      expect(Number(ttl.stdout)).toBeGreaterThan(90 - (Date.now() - sessionWritten) / 1000 - 0.1);
      expect(Number(ttl.stdout)).toBeLessThanOrEqual(90);
      expect((await runCli(['get', 'user:1', '--ttl'], { env })).stdout).toBe('none\n');
      const missing = await runCli(['get', 'user:9'], { env });
      expect(missing.code).toBe(7);
      expectOneLineError(missing, /key "user:9" not found/);

      const range = await runCli(['range', 'user:'], { env });
      expect(range).toEqual({
        code: 0,
        stdout: 'user:1\t{"name":"Ada"}\nuser:2\t{"name":"Linus"}\n',
        stderr: '',
      });
      expect((await runCli(['range', '--keys-only', '--limit', '2'], { env })).stdout).toBe(
        'order:1\nsession\n',
      );
      expect(
        (await runCli(['range', '--start', 'session', '--end', 'user:2', '--keys-only'], { env }))
          .stdout,
      ).toBe('session\nuser:1\n');

      const stats = await runCli(['stats', '--json'], { env });
      expect(stats.code).toBe(0);
      expect(JSON.parse(stats.stdout)).toMatchObject({
        backend: 'redis',
        totalKeys: 4,
        expiringKeys: 1,
        keyPrefix: prefix,
      });
      expect((await runCli(['stats'], { env })).stdout).toMatch(
        /^backend: redis\nserializer: json\ntotalKeys: 4\n/,
      );
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'range prints a key holding a control character (a tag row NUL, a newline) as a JSON string, one key per line',
    async () => {
      const { store, prefix } = open(first);
      await store.putMany([
        ['plain', 1],
        ['tag\u0000v', 2],
        ['two\nlines', 3],
      ]);
      const env = { KV_REDIS_URL: urlOf(first), KV_KEY_PREFIX: prefix };
      const keys = await runCli(['range', '--keys-only'], { env });
      expect(keys.stdout).toBe('plain\n"tag\\u0000v"\n"two\\nlines"\n');
      expect((await runCli(['range'], { env })).stdout).toBe(
        'plain\t1\n"tag\\u0000v"\t2\n"two\\nlines"\t3\n',
      );
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'shows rich values (Dates, BigInt) with inspect, and refuses --format json for them',
    async () => {
      const { store, prefix } = open(first, 'rich');
      await store.put('when', { at: new Date('2026-01-02T03:04:05.000Z'), n: 10n });
      const args = ['get', 'when', ...flags(first, prefix), '--serializer', 'rich'];
      expect((await runCli(args)).stdout).toBe('{ at: 2026-01-02T03:04:05.000Z, n: 10n }\n');
      const json = await runCli([...args, '--format', 'json']);
      expect(json.code).toBe(2);
      expectOneLineError(
        json,
        /holds a Date at \$\.at, which JSON cannot show; use --format inspect/,
      );
      // Read with the wrong serializer: the bytes do not decode.
      const wrong = await runCli(['get', 'when', ...flags(first, prefix)]);
      expect(wrong.code).toBe(4);
      expectOneLineError(wrong, /Cannot decode the stored value of key "when"/);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store export, import and copy', () => {
  it(
    'exports to a file and imports it into another store, keeping values and TTLs',
    async () => {
      const { store: source, prefix: sourcePrefix } = open(first, 'rich');
      await source.put('a', { when: new Date(5) }, { ttl: 120 });
      await source.put('b', 123n);
      await source.put('c', 'plain', { ttl: 600 });
      const file = join(work, 'backup.jsonl');
      const exported = await runCli([
        'export',
        file,
        ...flags(first, sourcePrefix),
        '--serializer',
        'rich',
      ]);
      expect(exported.code).toBe(0);
      expect(exported.stdout).toBe('');
      // Not a terminal: no progress bar, just the summary line.
      expect(exported.stderr).toBe(
        `exported 3 keys (0 skipped) from ${urlOf(first)} (key prefix ${JSON.stringify(sourcePrefix)}) to ${file}\n`,
      );
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      expect(JSON.parse(lines[0] as string)).toMatchObject({
        version: 1,
        encoding: 'v8',
        serializer: 'rich',
      });
      expect(lines).toHaveLength(5);

      const again = await runCli(['export', file, ...flags(first, sourcePrefix)]);
      expect(again.code).toBe(2);
      expectOneLineError(again, /already exists; pass --force/);

      const { store: target, prefix: targetPrefix } = open(second, 'rich');
      const imported = await runCli([
        'import',
        file,
        ...flags(second, targetPrefix),
        '--serializer',
        'rich',
      ]);
      expect(imported.code).toBe(0);
      expect(imported.stderr).toMatch(/^imported 3 keys \(0 skipped\) from .*backup\.jsonl into /);
      expect(await target.get('a')).toEqual({ when: new Date(5) });
      expect(await target.get('b')).toBe(123n);
      for (const key of ['a', 'b', 'c']) {
        const [want, got] = await Promise.all([source.ttl(key), target.ttl(key)]);
        if (want === null) expect(got).toBeNull();
        else expect(Math.abs((got as number) - (want as number))).toBeLessThanOrEqual(1);
      }
      // Running it again is harmless: existing keys are kept and counted as skipped.
      const rerun = await runCli([
        'import',
        file,
        ...flags(second, targetPrefix),
        '--serializer',
        'rich',
        '-q',
      ]);
      expect(rerun).toEqual({ code: 0, stdout: '', stderr: '' });
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'exports to stdout and imports from stdin',
    async () => {
      const { store: source, prefix } = open(first);
      await source.putMany([
        ['k1', { v: 1 }],
        ['k2', { v: 2 }],
      ]);
      const exported = await runCli(['export', ...flags(first, prefix), '--quiet']);
      expect(exported.code).toBe(0);
      expect(exported.stdout.trimEnd().split('\n')).toHaveLength(4);
      const { store: target, prefix: targetPrefix } = open(first);
      const imported = await runCli(['import', '-', ...flags(first, targetPrefix)], {
        input: exported.stdout,
      });
      expect(imported.code).toBe(0);
      expect(await target.getMany(['k1', 'k2'])).toEqual([{ v: 1 }, { v: 2 }]);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'rejects a corrupted dump with exit code 5 naming the line; nothing after it is written',
    async () => {
      const header =
        '{"format":"nestjs-kv-store-dump","version":1,"encoding":"json","serializer":"json","exportedAt":""}';
      const file = join(work, 'corrupt.jsonl');
      await writeFile(
        file,
        [
          header,
          '{"key":"a","value":1,"expiresAt":null}',
          '{"key":"b","value":2,"expiresAt":"soon"}',
          '{"key":"c","value":3,"expiresAt":null}',
          '{"end":true,"entries":3}',
          '',
        ].join('\n'),
      );
      const { store, prefix } = open(first);
      const run = await runCli(['import', file, ...flags(first, prefix)]);
      expect(run.code).toBe(5);
      expectOneLineError(
        run,
        /^kv-store import: Dump line 3: "expiresAt" must be null or milliseconds .*\(1 key imported before it, 0 skipped\)\n$/,
      );
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([1, undefined, undefined]);

      const verbose = await runCli(['import', file, ...flags(first, prefix), '--verbose']);
      expect(verbose.code).toBe(5);
      expect(verbose.stderr).toMatch(/DumpFormatError: Dump line 3[\s\S]*\n\s+at /);

      const missing = await runCli(['import', join(work, 'nope.jsonl'), ...flags(first, prefix)]);
      expect(missing.code).toBe(6);
      expectOneLineError(missing, /cannot read .*nope\.jsonl: no such file or directory/);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'copies between servers and prefixes, keeping TTLs; refuses to copy a store onto itself',
    async () => {
      const { store: source, prefix: sourcePrefix } = open(first);
      const sourceWritten = Date.now();
      await source.putMany(
        Array.from({ length: 1100 }, (_, i) => [`n:${i}`, i] as const),
        { ttl: 300 },
      );
      await source.put('keep', 'source');
      const { store: target, prefix: targetPrefix } = open(second);
      await target.put('keep', 'target');
      const run = await runCli([
        'copy',
        '--from-url',
        urlOf(first),
        '--from-key-prefix',
        sourcePrefix,
        '--to-url',
        urlOf(second),
        '--to-key-prefix',
        targetPrefix,
      ]);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^copied 1100 keys \(1 skipped\) from .* to .*\n$/);
      expect(await target.get('n:1099')).toBe(1099);
      expect(await target.get('keep')).toBe('target');
      const ttl = (await target.ttl('n:5')) as number;
      // A copied key keeps its remaining TTL: at least what was left when it was read here.
      expect(ttl).toBeGreaterThan(300 - (Date.now() - sourceWritten) / 1000 - 0.1);
      expect(ttl).toBeLessThanOrEqual(300.25);

      const overwrite = await runCli([
        'copy',
        '--url',
        urlOf(first),
        '--from-key-prefix',
        sourcePrefix,
        '--to-key-prefix',
        targetPrefix,
        '--keys',
        'keep',
        '--overwrite',
        '-q',
      ]);
      expect(overwrite.code).toBe(0);
      const sameServer = new RedisStore({ url: urlOf(first), keyPrefix: targetPrefix, timeout: 5 });
      stores.push(sameServer);
      expect(await sameServer.get('keep')).toBe('source');

      const self = await runCli(['copy', '--url', urlOf(first), '--key-prefix', sourcePrefix]);
      expect(self.code).toBe(2);
      expectOneLineError(self, /source and target are the same store/);
    },
    SPAWNING_TEST_TIMEOUT,
  );
});

describe('kv-store failures', () => {
  it.each([
    [['export', '--prefix', 'user:'], '--key-prefix'],
    [['copy', '--from-prefix', 'v1:', '--to-url', 'redis://127.0.0.1:1'], '--from-key-prefix'],
    [['copy', '--to-prefix', 'v2:', '--from-url', 'redis://127.0.0.1:1'], '--to-key-prefix'],
  ])(
    'refuses the retired %j, naming the flag for the store prefix and the one for a key filter',
    async (args, replacement) => {
      const run = await runCli([...args, '--url', urlOf(first)]);
      expect(run.code).toBe(2);
      expectOneLineError(
        run,
        new RegExp(`no longer accepted: use ${replacement} TEXT .* --keys TEXT`),
      );
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'an export that finds nothing says which key prefix and key filter it used',
    async () => {
      const { prefix } = open(first);
      const run = await runCli(['export', '-', ...flags(first, prefix), '--keys', 'nobody:']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        `exported 0 keys starting with "nobody:" (0 skipped) from ${urlOf(first)} (key prefix ${JSON.stringify(prefix)}) to stdout\n`,
      );
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'stops on Ctrl+C with exit code 130, leaving no half-written dump behind',
    async () => {
      const { store, prefix } = open(first);
      for (let i = 0; i < 40_000; i += 5000) {
        await store.putMany(
          Array.from({ length: 5000 }, (_, j) => [`bulk:${i + j}`, { i: i + j }] as const),
        );
      }
      const folder = await mkdtemp(join(work, 'sigint-'));
      const file = join(folder, 'big.jsonl');
      const { child, done } = startCli([
        'export',
        file,
        ...flags(first, prefix),
        '--batch-size',
        '20',
      ]);
      // The temporary file appears once the export has started writing.
      await waitUntil(
        async () => (await readdir(folder)).length > 0,
        10_000,
        'the export to start',
      );
      child.kill('SIGINT');
      const run = await done;
      expect(run.code).toBe(130);
      expectOneLineError(run, /^kv-store export: interrupted\n$/);
      expect(await readdir(folder)).toEqual([]);
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'reports a server that refuses the password with exit code 3, never showing it',
    async () => {
      const guarded = await startRedis({ args: ['--requirepass', 'right-pw'] });
      try {
        const run = await runCli([
          'stats',
          '--url',
          `redis://:wr0ng-pw@${LOOPBACK}:${guarded.port}`,
          '--timeout',
          '2',
        ]);
        expect(run.code).toBe(3);
        expectOneLineError(run, /refused the credentials/);
        expect(run.stderr).not.toContain('wr0ng-pw');
      } finally {
        await guarded.stop();
      }
    },
    SPAWNING_TEST_TIMEOUT,
  );

  it(
    'reports an unreachable server with exit code 3, never showing the password',
    async () => {
      const run = await runCli([
        'stats',
        '--url',
        'redis://admin:s3cr3t-pw@127.0.0.1:1',
        '--timeout',
        '1',
      ]);
      expect(run.code).toBe(3);
      expectOneLineError(run, /^kv-store stats: .*127\.0\.0\.1:1/);
      expect(run.stderr).not.toContain('s3cr3t-pw');
      const verbose = await runCli(['stats', '--verbose'], {
        env: { KV_REDIS_URL: 'redis://admin:s3cr3t-pw@127.0.0.1:1', KV_REDIS_TIMEOUT: '1' },
      });
      expect(verbose.code).toBe(3);
      expect(verbose.stderr).toMatch(/\n\s+at /);
      expect(verbose.stderr).not.toContain('s3cr3t-pw');
    },
    SPAWNING_TEST_TIMEOUT,
  );
});
