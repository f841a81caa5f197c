import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One fenced code block of a Markdown page. */
export interface DocBlock {
  /** Page path relative to the repository root (`docs/redis.md`). */
  page: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  /** First word of the info string (`ts`, `bash`, `jsonl`), `''` when there is none. */
  language: string;
  /** The words after the language (`fragment`). */
  markers: string[];
  /** The block's text, without the fences. */
  code: string;
}

/**
 * Every page the checks cover: README.md, CONTRIBUTING.md and every Markdown file under docs/
 * (the generated API reference under docs/api/ excepted), so pages added later are covered
 * without being listed anywhere.
 */
export function documentationPages(): string[] {
  const pages = ['README.md', 'CONTRIBUTING.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join('docs', 'api')) walk(path);
      } else if (entry.name.endsWith('.md')) {
        pages.push(path);
      }
    }
  };
  walk('docs');
  return pages.sort();
}

/** The fenced code blocks of `page`, in order. */
export function codeBlocks(page: string): DocBlock[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  let open: { fence: string; line: number; info: string; body: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(text);
    if (open === undefined) {
      if (fence)
        open = {
          fence: fence[2] ?? '```',
          line: index + 1,
          info: (fence[3] ?? '').trim(),
          body: [],
        };
      return;
    }
    if (fence && (fence[2] ?? '').startsWith(open.fence) && (fence[3] ?? '').trim() === '') {
      const [language = '', ...markers] = open.info.split(/\s+/).filter(Boolean);
      blocks.push({ page, line: open.line, language, markers, code: open.body.join('\n') });
      open = undefined;
      return;
    }
    open.body.push(text);
  });
  return blocks;
}

/** `docs/redis.md:12`, for messages. */
export function where(block: DocBlock): string {
  return `${block.page}:${block.line}`;
}

/** A path relative to the root, with forward slashes. */
export function fromRoot(path: string): string {
  return relative(ROOT, path).split('\\').join('/');
}
