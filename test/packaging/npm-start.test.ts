/**
 * @module test/packaging/npm-start
 * `npm start` (scripts/start.mjs) on a copy of the sources in a temporary folder, so the test can
 * edit one: the first start builds dist/ and runs the compiled program; a second start with
 * nothing changed rewrites no file of dist/; after a source edit only that file's output is
 * rewritten; with no arguments and no GATEWAY_CONFIG it runs the demo (the README's first
 * command), and stops on SIGINT with status 0.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from '../support/log-capture.js';
import { freePort } from '../support/redis-server.js';

const source = projectRoot();
let copy: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node scripts/start.mjs ...args` in the copy, with GATEWAY_CONFIG unset unless given. */
function start(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  until?: (output: string) => boolean,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (env.GATEWAY_CONFIG === undefined) delete childEnv.GATEWAY_CONFIG;
    delete childEnv.GATEWAY_HOST;
    const child = spawn(process.execPath, ['scripts/start.mjs', ...args], {
      cwd: copy,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 150_000,
    });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    const check = () => {
      if (!stopped && until?.(stdout + stderr)) {
        stopped = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      captureChildOutput(chunk);
      stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      captureChildOutput(chunk);
      stderr += chunk.toString();
      check();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Modification time of every file under dist/, by path. */
function distTimes(): Map<string, number> {
  const times = new Map<string, number>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else times.set(relative(copy, path), stat.mtimeMs);
    }
  };
  walk(join(copy, 'dist'));
  return times;
}

const changed = (before: Map<string, number>, after: Map<string, number>) =>
  [...after].filter(([path, time]) => before.get(path) !== time).map(([path]) => path);

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'carrier-gateway-start-'));
  for (const entry of [
    'src',
    'carriers',
    'config',
    'scripts',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
  ])
    cpSync(join(source, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(source, 'node_modules'), join(copy, 'node_modules'), 'dir');
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('npm start', () => {
  it('builds once, rebuilds only what changed, and runs the demo when given nothing', async () => {
    // A configuration that cannot be read: the compiled program ran, and said so.
    const first = await start(['--config', '/nonexistent/gateway.yaml']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('/nonexistent/gateway.yaml: cannot be read (ENOENT)');
    const built = distTimes();
    expect(built.has('dist/src/main.js')).toBe(true);
    expect(built.has('dist/.tsbuildinfo')).toBe(true);

    const second = await start(['--config', '/nonexistent/gateway.yaml']);
    expect(second.code).toBe(1);
    expect(changed(built, distTimes())).toEqual([]);

    // One source file edited: its output is rewritten, main.js (unchanged) is not.
    const edited = join(copy, 'src', 'demo.ts');
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}\nexport const EDITED_BY_THE_TEST = true;\n`);
    const third = await start(['--config', '/nonexistent/gateway.yaml']);
    expect(third.code).toBe(1);
    const rewritten = changed(built, distTimes());
    expect(rewritten).toContain('dist/src/demo.js');
    expect(rewritten).not.toContain('dist/src/main.js');
    expect(readFileSync(join(copy, 'dist', 'src', 'demo.js'), 'utf8')).toContain('EDITED_BY_THE_TEST');

    // The README's first command: no configuration, the demo; Ctrl-C stops it cleanly.
    const demo = await start([], { PORT: String(await freePort()) }, (output) =>
      output.includes('carrier gateway listening'),
    );
    expect(demo.stderr).toContain(
      'npm start: no configuration (no --config, no GATEWAY_CONFIG): running the demo',
    );
    expect(demo.stdout).toContain('"demo":true');
    expect(demo.stdout).toContain('stopped cleanly');
    expect(demo.code).toBe(0);
  }, 180_000);
});
