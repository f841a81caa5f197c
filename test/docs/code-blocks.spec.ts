import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import ts from 'typescript';
import { runCli } from '../../lib/cli/run-cli.js';
import {
  codeBlocks,
  documentationPages,
  fromRoot,
  ROOT,
  where,
  type DocBlock,
} from './doc-blocks.js';

/**
 * The docs cannot drift from the code: every fenced block of README.md, CONTRIBUTING.md and
 * docs/ is checked by its language. How to mark a deliberate fragment: CONTRIBUTING.md.
 */
const TYPESCRIPT = new Set(['ts', 'typescript']);
const SHELL = new Set(['bash', 'sh', 'shell']);
const DATA = new Set(['json', 'jsonl']);
/** Output shown to the reader (tables of figures, trees); nothing to run. */
const TEXT = new Set(['text']);

const blocks = documentationPages().flatMap(codeBlocks);
const isFragment = (block: DocBlock): boolean => block.markers.includes('fragment');

/** Type-checks TypeScript blocks as modules that import the library by its package name. */
function typeCheck(list: DocBlock[]): string[] {
  const dir = join(ROOT, '.tmp', 'doc-blocks');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const origin = new Map<string, DocBlock>();
  for (const block of list) {
    // Each page gets its own folder; a block may name its file (```ts frontier.service.ts) so
    // that a later block of the same page can import it.
    const pageDir = join(dir, block.page.replace(/[^a-z0-9]+/gi, '_'));
    mkdirSync(pageDir, { recursive: true });
    const named = block.markers.find((marker) => /^[\w.-]+\.ts$/.test(marker));
    const file = join(pageDir, named ?? `block-${block.line}.ts`);
    // The block starts on the line after the fence, so line n of the file is line.line + n.
    writeFileSync(file, `${block.code}\nexport {};\n`);
    origin.set(file, block);
  }
  const program = ts.createProgram([...origin.keys()], {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    paths: {
      'nestjs-kv-store': [join(ROOT, 'lib/index.ts')],
      'nestjs-kv-store/core': [join(ROOT, 'lib/core-entry.ts')],
    },
  });
  // Only the blocks' own files: lib/ is type-checked by `npm run lint`, and checking it here
  // again would be most of this spec's time.
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...origin.keys()].flatMap((file) => {
      const source = program.getSourceFile(file);
      return source
        ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
        : [];
    }),
  ];
  return diagnostics.map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const block = diagnostic.file ? origin.get(diagnostic.file.fileName) : undefined;
    if (!diagnostic.file || diagnostic.start === undefined || block === undefined) {
      return `${diagnostic.file ? fromRoot(diagnostic.file.fileName) : '(program)'}: ${text}`;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${block.page}:${block.line + 1 + line}: ${text}`;
  });
}

/** Splits a shell line into words, keeping quoted words whole and stopping at a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    const word = match[1] ?? match[2] ?? match[3] ?? '';
    if (match[3]?.startsWith('#')) break;
    out.push(word);
  }
  return out;
}

/** The commands of one shell line, split at pipes and `&&`. */
function commandsOf(line: string): string[][] {
  const commands: string[][] = [[]];
  for (const word of words(line)) {
    if (['|', '&&', ';', '||'].includes(word)) commands.push([]);
    else commands[commands.length - 1]?.push(word);
  }
  return commands.filter((command) => command.length > 0);
}

function fakeIo(): Parameters<typeof runCli>[1] & { err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdout.resume();
  return { stdout, stderr, stdin: Readable.from([]), env: {}, err: () => err };
}

describe('code blocks of README.md, CONTRIBUTING.md and docs/', () => {
  it('exist (the checks below read something)', () => {
    expect(blocks.filter((block) => TYPESCRIPT.has(block.language)).length).toBeGreaterThan(10);
  });

  it('each name a language the checks know (ts, bash, sh, json, jsonl or text)', () => {
    const known = new Set([...TYPESCRIPT, ...SHELL, ...DATA, ...TEXT]);
    const unknown = blocks
      .filter((block) => !known.has(block.language))
      .map((block) => `${where(block)}: "${block.language}"`);
    expect(unknown).toEqual([]);
  });

  it('type-check against lib/ when they are TypeScript (blocks marked fragment excepted)', () => {
    const checked = blocks.filter((block) => TYPESCRIPT.has(block.language) && !isFragment(block));
    expect(typeCheck(checked)).toEqual([]);
  }, 120_000);

  it('parse when they are JSON (json: one document; jsonl: one document per line)', () => {
    const errors: string[] = [];
    for (const block of blocks.filter((b) => DATA.has(b.language))) {
      const documents = block.language === 'json' ? [block.code] : block.code.split('\n');
      documents.forEach((text, i) => {
        try {
          JSON.parse(text);
        } catch (error) {
          errors.push(`${where(block)} +${i + 1}: ${(error as Error).message}`);
        }
      });
    }
    expect(errors).toEqual([]);
  });

  it('only run npm scripts that package.json defines', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts,
    );
    const missing: string[] = [];
    for (const block of blocks.filter((b) => SHELL.has(b.language))) {
      for (const line of block.code.split('\n')) {
        for (const [program, verb, name] of commandsOf(line)) {
          if (program !== 'npm') continue;
          const script =
            verb === 'run' ? name : verb === 'start' || verb === 'test' ? verb : undefined;
          if (script !== undefined && !scripts.includes(script))
            missing.push(`${where(block)}: ${line}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('only use kv-store commands and flags that exist (each parsed by the real CLI)', async () => {
    const rejected: string[] = [];
    let parsed = 0;
    for (const block of blocks.filter((b) => SHELL.has(b.language))) {
      for (const line of block.code.split('\n')) {
        for (const command of commandsOf(line)) {
          const start = command.indexOf('kv-store');
          if (start === -1 || (start > 0 && command[start - 1] !== 'npx')) continue;
          const args = command.slice(start + 1);
          const redirect = args.findIndex((word) => word === '>' || word === '<');
          const argv = redirect === -1 ? args : args.slice(0, redirect);
          if (argv.some((word) => /^<.*>$/.test(word))) continue; // a placeholder: `<command>`
          const io = fakeIo();
          const code = await runCli([...argv, '--help'], io, new AbortController().signal);
          parsed++;
          if (code !== 0)
            rejected.push(`${where(block)}: kv-store ${argv.join(' ')}: ${io.err().trim()}`);
        }
      }
    }
    expect(rejected).toEqual([]);
    expect(parsed).toBeGreaterThan(5);
  });
});
