/**
 * @module test/packaging/dockerfile
 * The Dockerfile and .dockerignore, checked without Docker (none runs here): a multi-stage build
 * on a maintained Node LTS line that package.json's engines allow (engines also keep Node 20.19,
 * which CI tests, and every runtime dependency allows each line), whose runtime stage installs
 * production dependencies only and runs as a non-root user, with a HEALTHCHECK on /healthz and
 * the compiled CLI as its command; every path it copies exists; the
 * build context leaves out what must not reach an image; and every package the compiled code
 * imports at run time is a production dependency (the runtime stage has no others).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/platform/project-root.js';

const root = projectRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = instructions
  .map((line, index) => ({ line, index }))
  .filter(({ line }) => /^FROM\s/i.test(line));
const runtime = instructions.slice(stages.at(-1)!.index);

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

/** `^20.19.0 || ^22.12.0 || ^24.0.0` → the lowest version allowed on each major line. */
const engineLines = manifest.engines.node.split('||').map((range) => {
  const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
  expect(match, `engines range "${range}"`).not.toBeNull();
  return { major: Number(match![1]), minor: Number(match![2]) };
});

function allowedByEngines(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return engineLines.some((line) => line.major === major && (minor ?? 0) >= line.minor);
}

/**
 * Node release lines in upstream support, with their end of life (nodejs.org/en/about/previous-releases):
 * the image must be on one of them. Node 20 reached its end on 2026-04-30.
 */
const MAINTAINED_LINES: Record<number, string> = { 22: '2027-04-30', 24: '2028-04-30' };

/** The image a stage starts from, with `ARG NAME=default` references resolved. */
function stageImage(line: string): string {
  const args = new Map(
    instructions.flatMap((instruction) => {
      const match = /^ARG\s+(\w+)=(\S+)$/.exec(instruction);
      return match ? [[match[1]!, match[2]!] as const] : [];
    }),
  );
  const image = line.split(/\s+/)[1]!;
  return image.replace(/^\$\{(\w+)\}$/, (_all, name: string) => args.get(name) ?? '');
}

describe('Node versions', () => {
  it('engines allow the line CI tests (20.19+) and the maintained LTS lines, and this Node', () => {
    expect(engineLines.map((line) => line.major)).toEqual([20, 22, 24]);
    expect(allowedByEngines(process.version)).toBe(true);
    const nvmrc = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    expect(allowedByEngines(nvmrc)).toBe(true);
  });

  it('every runtime dependency allows every Node line the engines name', () => {
    for (const name of Object.keys(manifest.dependencies)) {
      const dependency = JSON.parse(
        readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { engines?: { node?: string } };
      const range = dependency.engines?.node;
      if (range === undefined) continue;
      for (const line of engineLines) {
        const allowed = range.split('||').some((part) => {
          const floor = /(\^|>=\s*)(\d+)(?:\.(\d+))?/.exec(part.trim());
          if (floor === null) return false;
          const [major, minor] = [Number(floor[2]), Number(floor[3] ?? 0)];
          return floor[1] === '^'
            ? major === line.major
            : line.major > major || (line.major === major && line.minor >= minor);
        });
        expect(allowed, `${name} (engines ${range}) on Node ${line.major}.${line.minor}`).toBe(true);
      }
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, on a maintained Node LTS line the engines allow', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const images = new Set(stages.map(({ line }) => stageImage(line)));
    expect(images.size).toBe(1);
    const [image] = [...images];
    const major = Number(/^node:(\d+)(?:[.-]|$)/.exec(image!)?.[1]);
    expect(MAINTAINED_LINES[major], `${image} is not on a maintained line`).toBeDefined();
    expect(engineLines.some((line) => line.major === major)).toBe(true);
    expect(instructions.some((line) => /npm run build/.test(line))).toBe(true);
    expect(runtime.some((line) => /^COPY --from=\w+ \/app\/dist \.\/dist$/.test(line))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage', () => {
    const installs = runtime.filter((line) => /npm (ci|install)/.test(line));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) expect(line).toContain('--omit=dev');
    expect(runtime).toContain('ENV NODE_ENV=production');
  });

  it('runs as a non-root user, checks /healthz, and starts the compiled CLI', () => {
    const user = runtime.filter((line) => /^USER\s/.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    const healthcheck = runtime.find((line) => /^HEALTHCHECK\s/.test(line));
    expect(healthcheck).toContain('/healthz');
    const command = runtime.find((line) => /^CMD\s/.test(line))!;
    expect(JSON.parse(command.replace(/^CMD\s+/, ''))).toEqual(['node', 'dist/src/main.js']);
  });

  it('copies only paths that exist', () => {
    for (const line of instructions.filter((candidate) => /^COPY\s/.test(candidate))) {
      if (line.includes('--from=')) continue;
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
    }
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps dependencies, build output, history, tests and local secrets out of the context', () => {
    for (const entry of ['node_modules', 'dist', '.git', 'test', 'test-artifacts', '.env', '.env.*', '*.log'])
      expect(ignored).toContain(entry);
  });

  it('does not leave out anything the build copies', () => {
    const copied = instructions
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    for (const source of copied) expect(ignored).not.toContain(source.replace(/\/.*$/, ''));
  });
});

describe('runtime dependencies', () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
    });
  }

  /** The package an import names (`@scope/name/sub` → `@scope/name`); null for relative and built-in. */
  function packageOf(specifier: string): string | null {
    if (specifier.startsWith('.') || specifier.startsWith('node:')) return null;
    if (builtinModules.includes(specifier)) return null;
    const parts = specifier.split('/');
    return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  }

  it('every package the compiled code imports at run time is in dependencies', () => {
    const missing: string[] = [];
    let imports = 0;
    for (const dir of ['src', 'carriers', 'config']) {
      for (const file of sourceFiles(join(root, dir))) {
        const text = readFileSync(file, 'utf8');
        // Type-only imports vanish from the compiled output.
        const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";=()/]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
        for (const match of text.matchAll(pattern)) {
          const name = packageOf(match[1]!);
          if (name === null) continue;
          imports += 1;
          if (!(name in manifest.dependencies)) missing.push(`${relative(root, file)}: ${name}`);
        }
        for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
          const name = packageOf(match[1]!);
          if (name !== null && !(name in manifest.dependencies))
            missing.push(`${relative(root, file)}: ${name}`);
        }
      }
    }
    expect(imports).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
