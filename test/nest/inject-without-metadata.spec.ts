import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

/**
 * docs/nestjs.md says: injecting KvStore by its type needs emitDecoratorMetadata, which esbuild
 * (and so tsx, Vite, Vitest) never emits, and @Inject(KvStore) works with every compiler. This
 * compiles the same providers with and without the metadata (as esbuild does) and boots them.
 */
const run = promisify(execFile);
const repo = resolve(import.meta.dirname ?? '.', '..', '..');
const work = join(repo, '.tmp', 'inject-without-metadata');

const APP = `
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvStore, KvStoreModule } from ${JSON.stringify(join(repo, 'dist', 'index.js'))};

@Injectable()
class ByType {
  constructor(private readonly store: KvStore) {}
  read(): Promise<unknown[]> { return this.store.getMany(['k']); }
}

@Injectable()
class ByToken {
  constructor(@Inject(KvStore) private readonly store: KvStore) {}
  read(): Promise<unknown[]> { return this.store.getMany(['k']); }
}

@Module({ imports: [KvStoreModule.forRoot()], providers: [ByType, ByToken] })
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const outcome = async (read: () => Promise<unknown[]>): Promise<string> => {
  try { return JSON.stringify(await read()); } catch (error) { return String(error); }
};
console.log(JSON.stringify({
  byType: await outcome(() => app.get(ByType).read()),
  byToken: await outcome(() => app.get(ByToken).read()),
}));
await app.close();
`;

async function boot(emitDecoratorMetadata: boolean): Promise<{ byType: string; byToken: string }> {
  const { outputText } = ts.transpileModule(APP, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.ESNext,
      experimentalDecorators: true,
      emitDecoratorMetadata,
    },
  });
  mkdirSync(work, { recursive: true });
  const file = join(work, `app-${emitDecoratorMetadata ? 'with' : 'without'}-metadata.mjs`);
  writeFileSync(file, outputText);
  const { stdout } = await run(process.execPath, [file], { cwd: repo, timeout: 30_000 });
  return JSON.parse(stdout.trim()) as { byType: string; byToken: string };
}

describe('injecting KvStore with and without decorator metadata', () => {
  it('without metadata (esbuild, tsx): by type gets undefined, @Inject(KvStore) works', async () => {
    const { byType, byToken } = await boot(false);
    expect(byType).toMatch(/TypeError: Cannot read properties of undefined \(reading 'getMany'\)/);
    expect(byToken).toBe('[null]');
  }, 60_000);

  it('with emitDecoratorMetadata (tsc, SWC): both work', async () => {
    expect(await boot(true)).toEqual({ byType: '[null]', byToken: '[null]' });
  }, 60_000);
});
