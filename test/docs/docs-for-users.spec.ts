import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './doc-blocks.js';

/**
 * docs/ says what is true now, for users: history goes to CHANGELOG.md and commit messages,
 * investigations to bench/notes/. These checks keep the lab-notebook style out.
 */
const DOCS = join(ROOT, 'docs');
const pages = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, text: readFileSync(join(DOCS, name), 'utf8') }));

/** Wording that tells history instead of the current state. */
const HISTORY = [
  { what: 'a commit hash', pattern: /`(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}`/ },
  { what: '"before the fix"', pattern: /before (the|this) (fix|bound)/i },
  { what: '"earlier version(s)"', pattern: /earlier versions? (of|quoted|said)/i },
  { what: '"this afternoon" / "this morning"', pattern: /this (afternoon|morning)/i },
  { what: '"tried and reverted"', pattern: /tried and reverted/i },
];

describe('docs/ for users', () => {
  it('tells no history: no commit hashes, "before the fix" or "earlier versions"', () => {
    const found = pages.flatMap(({ name, text }) =>
      text
        .split('\n')
        .flatMap((line, index) =>
          HISTORY.filter(({ pattern }) => pattern.test(line)).map(
            ({ what }) => `docs/${name}:${index + 1} has ${what}`,
          ),
        ),
    );
    expect(found).toEqual([]);
  });

  it('keeps the benchmark page short (at most 8 KB); the investigations live in bench/notes/', () => {
    expect(statSync(join(DOCS, 'benchmarks.md')).size).toBeLessThanOrEqual(8 * 1024);
  });
});
