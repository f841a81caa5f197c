import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folders of lib/ show the architecture (core and serializers at the bottom, backends on
 * them, the Nest layer on top); these checks keep an import from quietly turning that around.
 * Barrels (index.ts) only re-export and are left out of the graph.
 */
const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');
const ROOT = '(lib root)';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function folderOf(file: string): string {
  const parts = relative(LIB, file).split(sep);
  return parts.length === 1 ? ROOT : (parts[0] ?? ROOT);
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
  file: string;
}

// index.ts (barrels) only re-export; lib/index.ts is the one entry that adds the Nest layer.
const files = sourceFiles(LIB).filter((file) => !file.endsWith(`${sep}index.ts`));
const edges: Edge[] = [];
const packageImports: Edge[] = [];
for (const file of files) {
  for (const specifier of importsOf(file)) {
    const from = folderOf(file);
    if (specifier.startsWith('.')) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to !== from) edges.push({ from, to, file: relative(LIB, file) });
    } else {
      packageImports.push({ from, to: specifier, file: relative(LIB, file) });
    }
  }
}

function findCycle(): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (!next.has(edge.from)) next.set(edge.from, new Set());
    next.get(edge.from)?.add(edge.to);
  }
  const done = new Set<string>();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (path.includes(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return undefined;
    for (const target of next.get(node) ?? []) {
      const cycle = visit(target, [...path, node]);
      if (cycle) return cycle;
    }
    done.add(node);
    return undefined;
  };
  for (const node of next.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

const describeEdges = (list: Edge[]): string[] =>
  list.map((edge) => `${edge.file} imports ${edge.to}`);

describe('the folders of lib/', () => {
  it('import each other without a cycle', () => {
    expect(findCycle()).toBeUndefined();
  });

  it('keep the contract (core) and the serializers free of backends and the Nest layer', () => {
    const bottom = ['core', 'serializers'];
    const allowed = new Set(['core', 'serializers', 'telemetry']);
    const wrong = edges.filter((edge) => bottom.includes(edge.from) && !allowed.has(edge.to));
    expect(describeEdges(wrong)).toEqual([]);
  });

  it('keep the serializers independent of everything else in lib/', () => {
    const wrong = edges.filter((edge) => edge.from === 'serializers');
    expect(describeEdges(wrong)).toEqual([]);
  });

  it('keep telemetry (which every layer reports to) independent of everything else in lib/', () => {
    const wrong = edges.filter((edge) => edge.from === 'telemetry');
    expect(describeEdges(wrong)).toEqual([]);
  });

  it('never let anything but the Nest layer load it or @nestjs packages (the /core entry relies on it)', () => {
    const belowNest = new Set([
      'core',
      'serializers',
      'telemetry',
      'memory',
      'redis',
      'cli',
      'migration',
      'keyv',
      ROOT,
    ]);
    const wrong = [
      ...edges.filter((edge) => belowNest.has(edge.from) && edge.to === 'nest'),
      ...packageImports.filter(
        (edge) => belowNest.has(edge.from) && edge.to.startsWith('@nestjs/'),
      ),
    ];
    expect(describeEdges(wrong)).toEqual([]);
  });
});
