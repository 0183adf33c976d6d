/**
 * @module test/packaging/dockerfile
 * The Dockerfile and .dockerignore, checked without Docker (none runs here): a multi-stage build
 * whose runtime stage installs production dependencies only and runs as a non-root user, with a
 * HEALTHCHECK on /healthz and the compiled CLI as its command; every path it copies exists; the
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

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, on the Node line the project supports', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const { line } of stages) expect(line).toMatch(/^FROM node:20\.(19|[2-9]\d)/);
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
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };

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
