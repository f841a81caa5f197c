import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname ?? '.', '..', '..');
// Nest and friends come from this repo's node_modules, as a consumer's own copies would.
const PEERS = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];

const ESM_CONSUMER = `
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvStore, KvStoreModule } from 'nestjs-kv-store';

class Visits {
  constructor(store) { this.store = store; }
}
Injectable()(Visits);
Inject(KvStore)(Visits, undefined, 0);

class AppModule {}
Module({ imports: [KvStoreModule.forRoot()], providers: [Visits] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const { store } = app.get(Visits);
await store.put('visit:1', { path: '/', at: 1 }, { ttl: 60 });
console.log(JSON.stringify({ backend: store.backend, value: await store.get('visit:1') }));
await app.close();
`;

const CJS_CONSUMER = `
const { createStore } = require('nestjs-kv-store');
(async () => {
  const store = createStore();
  await store.put('k', [1, 2]);
  console.log(JSON.stringify({ value: await store.get('k') }));
  await store.close();
})();
`;

// @opentelemetry/api is an optional peer: the consumer does not have it. The global registration
// slot is filled as an SDK bundled elsewhere would, so the store goes down its telemetry path.
const NO_OTEL_CONSUMER = `
import { createStore } from 'nestjs-kv-store';
let resolved = 'resolvable';
try {
  await import('@opentelemetry/api');
} catch (error) {
  resolved = error.code;
}
globalThis[Symbol.for('opentelemetry.js.api.1')] = { version: '1.9.0', trace: {}, metrics: {} };
const store = createStore();
await store.putMany([['a', 1], ['b', 2]]);
const rows = [];
for await (const row of store.iterate('')) rows.push(row);
console.log(JSON.stringify({ resolved, value: await store.get('a'), range: await store.rangeGet(''), rows }));
await store.close();
`;

const CORE_CONSUMER = `
import { createStore, KvStore } from 'nestjs-kv-store/core';
const store = createStore();
await store.put('k', 'plain');
console.log(JSON.stringify({ value: await store.get('k'), isKvStore: store instanceof KvStore }));
await store.close();
`;

/** A resolve hook that fails any import of an @nestjs package, to prove an entry point needs none. */
const BLOCK_NEST = `
import { register } from 'node:module';
const hook = \`export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@nestjs/')) throw new Error('loaded ' + specifier);
  return next(specifier, context);
}\`;
register('data:text/javascript,' + encodeURIComponent(hook));
`;

/**
 * Copies what a fresh clone holds (tracked files, plus new files not yet committed) without
 * dist/, so `npm pack` must build the code itself through `prepack`. node_modules is linked, as
 * `npm ci` would have installed it. Packing here also leaves the repo's own dist/ alone while
 * other test files use it.
 */
async function cleanCheckout(destination: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: repo, maxBuffer: 64 * 1024 * 1024 },
  );
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (file.startsWith('dist/') || !existsSync(join(repo, file))) continue;
    await mkdir(join(destination, file, '..'), { recursive: true });
    await cp(join(repo, file), join(destination, file));
  }
  await symlink(join(repo, 'node_modules'), join(destination, 'node_modules'), 'dir');
}

describe('the package as users install it', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  let hadDistBeforePack: boolean;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'kv-store-pack-'));
    const checkout = join(work, 'checkout');
    await cleanCheckout(checkout);
    hadDistBeforePack = existsSync(join(checkout, 'dist'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: checkout,
      maxBuffer: 64 * 1024 * 1024,
    });
    // prepack's build output comes first; the JSON report is the array that closes stdout.
    const report = stdout.slice(stdout.search(/^\[/m));
    const [packed] = JSON.parse(report) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    if (!packed) throw new Error('npm pack reported nothing');
    tarball = join(work, packed.filename);
    files = packed.files.map((f) => f.path);

    const consumer = join(work, 'consumer');
    await mkdir(join(consumer, 'node_modules', '@nestjs'), { recursive: true });
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // Installs the tarball and its own dependencies; the Nest peers are linked from this repo.
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball],
      { cwd: consumer },
    );
    for (const peer of PEERS) {
      await symlink(join(repo, 'node_modules', peer), join(consumer, 'node_modules', peer), 'dir');
    }
    await writeFile(join(consumer, 'esm-consumer.mjs'), ESM_CONSUMER);
    await writeFile(join(consumer, 'cjs-consumer.cjs'), CJS_CONSUMER);
    await writeFile(join(consumer, 'no-otel-consumer.mjs'), NO_OTEL_CONSUMER);
    await writeFile(join(consumer, 'core-consumer.mjs'), CORE_CONSUMER);
    await writeFile(join(consumer, 'block-nest.mjs'), BLOCK_NEST);
  }, 240_000);

  it('is packed from a checkout without dist/: prepack builds the code', () => {
    expect(hadDistBeforePack).toBe(false);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/cli/main.js']));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds only dist/ (JavaScript and type declarations), README, LICENSE and package.json', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'README.md',
        'LICENSE',
        'package.json',
      ]),
    );
    const unexpected = files.filter(
      (f) =>
        !/^dist\/.+\.(js|d\.ts)$/.test(f) && !['README.md', 'LICENSE', 'package.json'].includes(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('boots a Nest app from an ESM script, injects KvStore, puts and gets, and exits cleanly', async () => {
    const { stdout } = await run(process.execPath, ['esm-consumer.mjs'], {
      cwd: join(work, 'consumer'),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ backend: 'memory', value: { path: '/', at: 1 } });
  }, 60_000);

  it('installs the kv-store command, which answers --help', async () => {
    const { stdout } = await run(
      join(work, 'consumer', 'node_modules', '.bin', 'kv-store'),
      ['--help'],
      {
        cwd: join(work, 'consumer'),
        timeout: 30_000,
      },
    );
    expect(stdout).toMatch(/kv-store/);
    expect(stdout).toMatch(/export/);
  }, 60_000);

  it('serves nestjs-kv-store/core without loading any @nestjs package', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', './block-nest.mjs', 'core-consumer.mjs'],
      { cwd: join(work, 'consumer'), timeout: 30_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ value: 'plain', isKvStore: true });
  }, 60_000);

  it('(control) the main entry does load @nestjs packages, which the hook above would catch', async () => {
    await expect(
      run(
        process.execPath,
        ['--import', './block-nest.mjs', '--input-type=module', '-e', "import 'nestjs-kv-store';"],
        { cwd: join(work, 'consumer'), timeout: 30_000 },
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('loaded @nestjs/') });
  }, 60_000);

  it("works from CommonJS through Node 20's require of ES modules", async () => {
    const { stdout } = await run(process.execPath, ['cjs-consumer.cjs'], {
      cwd: join(work, 'consumer'),
      timeout: 30_000,
    });
    expect(stdout).toContain(JSON.stringify({ value: [1, 2] }));
  }, 60_000);

  it('works without @opentelemetry/api installed, even when an SDK registered itself elsewhere', async () => {
    const { stdout } = await run(process.execPath, ['no-otel-consumer.mjs'], {
      cwd: join(work, 'consumer'),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      resolved: 'ERR_MODULE_NOT_FOUND',
      value: 1,
      range: [
        ['a', 1],
        ['b', 2],
      ],
      rows: [
        ['a', 1],
        ['b', 2],
      ],
    });
  }, 60_000);
});
