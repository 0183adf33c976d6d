/**
 * @module test/architecture/boundaries
 * The layering docs/architecture.md draws, checked on the import graph of src/, carriers/ and
 * config/ (every import, type-only ones included):
 * - src/core imports nothing of the project outside itself;
 * - carriers/** imports only carriers/**, src/core/** and src/sim/** (the simulator kit);
 * - no src/ file imports carriers/ except src/accounts/, src/cli/ and the composition root
 *   (src/gateway.ts, src/main.ts, src/demo.ts);
 * - the simulator kit (src/sim/) imports no simulator;
 * - only src/upstream/ opens connections to carrier APIs (undici's Pool, Client, Agent);
 * - there is no import cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/platform/project-root.js';

const root = projectRoot();

function sources(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, folder))) {
    const path = join(folder, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path.split('\\').join('/'));
  }
  return out;
}

const files = [...sources('src'), ...sources('carriers'), ...sources('config')];
const known = new Set(files);

interface Edge {
  from: string;
  to: string;
  names: string;
}

/** Every `import ... from`, `export ... from` and `import(...)` of a project file, resolved. */
function importsOf(file: string): { project: Edge[]; packages: { specifier: string; names: string }[] } {
  const text = readFileSync(join(root, file), 'utf8');
  const project: Edge[] = [];
  const packages: { specifier: string; names: string }[] = [];
  const pattern =
    /(?:import|export)\s+(type\s+)?([\s\S]*?)\s*from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4]!;
    // A type-only import opens nothing at run time: its names are left out for the package rules.
    const names = match[1] !== undefined ? '' : (match[2] ?? '');
    const target = normalize(join(dirname(file), specifier))
      .split('\\')
      .join('/');
    if (!specifier.startsWith('.') || target.startsWith('node_modules/')) {
      packages.push({ specifier, names });
      continue;
    }
    project.push({ from: file, to: target.replace(/\.js$/, '.ts'), names });
  }
  return { project, packages };
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));
const edges = [...graph.values()].flatMap((imports) => imports.project);

const under = (file: string, ...folders: string[]) => folders.some((folder) => file.startsWith(folder));
const COMPOSITION_ROOT = ['src/gateway.ts', 'src/main.ts', 'src/demo.ts'];

/** Violations of a rule, as `from -> to` lines (empty when it holds). */
const violations = (rule: (edge: Edge) => boolean) =>
  edges.filter((edge) => !rule(edge)).map((edge) => `${edge.from} -> ${edge.to}`);

/** Tarjan's strongly connected components: every component of more than one file is a cycle. */
function findCycles(nodes: string[], next: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return cycles;
}

describe('import boundaries', () => {
  it('every relative import resolves to a project file', () => {
    expect(edges.filter((edge) => !known.has(edge.to)).map((edge) => `${edge.from} -> ${edge.to}`)).toEqual(
      [],
    );
  });

  it('src/core imports nothing of the project outside itself', () => {
    expect(violations((edge) => !under(edge.from, 'src/core/') || under(edge.to, 'src/core/'))).toEqual([]);
  });

  it('carriers import only carriers, src/core and the simulator kit', () => {
    expect(
      violations(
        (edge) => !under(edge.from, 'carriers/') || under(edge.to, 'carriers/', 'src/core/', 'src/sim/'),
      ),
    ).toEqual([]);
  });

  it('only src/accounts, src/cli and the composition root import carriers/', () => {
    expect(
      violations(
        (edge) =>
          !under(edge.from, 'src/') ||
          !under(edge.to, 'carriers/') ||
          under(edge.from, 'src/accounts/', 'src/cli/') ||
          COMPOSITION_ROOT.includes(edge.from),
      ),
    ).toEqual([]);
  });

  it('only src/upstream opens connections toward carriers (undici Pool, Client, Agent)', () => {
    const opened = [...graph.entries()].flatMap(([file, imports]) =>
      imports.packages
        .filter(
          (entry) =>
            entry.specifier === 'undici' &&
            /\b(Pool|Client|Agent)\b/.test(entry.names.replace(/\btype\s+\w+/g, '')),
        )
        .map(() => file),
    );
    expect(opened.filter((file) => !under(file, 'src/upstream/'))).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    const next = new Map<string, string[]>();
    for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
    expect(findCycles(files, next)).toEqual([]);
  });

  it('the cycle finder finds cycles (a check on the check)', () => {
    const next = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(findCycles(['a', 'b', 'c', 'd'], next)).toEqual([['a', 'b', 'c']]);
  });

  it('the checks see the whole tree (a sanity check on the parser)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(300);
    expect(
      edges.some((edge) => edge.from === 'src/gateway.ts' && edge.to === 'src/accounts/resolve.ts'),
    ).toBe(true);
  });
});
