/**
 * @module test/docs/readme-examples.test
 * The README's examples run as written. A demo (`src/main.ts --demo`, on a free port) is started,
 * every ```sh block of README.md that calls curl is run by bash against it (127.0.0.1:8080 being
 * the demo's address, replaced by the port it took), and each must succeed (the blocks use
 * `curl -f`, so an HTTP error fails them) and print something. The README's own promise that the
 * operator's command works against the demo at once is checked with the demo's admin key.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_ADMIN_KEY } from '../../src/demo.js';
import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from '../support/log-capture.js';
import { startDemo } from '../support/main-program.js';

const root = projectRoot();
const README = readFileSync(join(root, 'README.md'), 'utf8');
const DEMO_ADDRESS = '127.0.0.1:8080';

/** The ```sh blocks of the README that call curl, in order. */
const curlBlocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
  .map((match) => match[1]!)
  .filter((block) => /\bcurl\b/.test(block));

let demo: ChildProcess;
let port: number;

beforeAll(async () => {
  ({ port, child: demo } = await startDemo([], {}, { timeoutMs: 30_000 }));
}, 40_000);

afterAll(async () => {
  if (demo?.exitCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    await exited;
  }
});

describe("README.md's curl examples against the demo", () => {
  it('has the pass-through, a shipment, a health call and onboarding, all against the demo', () => {
    const all = curlBlocks.join('\n');
    expect(all).toContain('/v1/carriers/ups-demo/');
    expect(all).toContain('/v1/shipments');
    expect(all).toContain('/v1/health/carriers');
    // Every curl block is one this test runs: none names another host.
    for (const block of curlBlocks) expect(block).toContain(DEMO_ADDRESS);
  });

  it.each(curlBlocks.map((block, index) => [index + 1, block] as const))(
    'block %i runs as written',
    (_index, block) => {
      const script = block.replaceAll(DEMO_ADDRESS, `127.0.0.1:${port}`);
      const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      });
      captureChildOutput(result.stdout + result.stderr);
      expect(result.status, `${script}\n${result.stderr}\n${result.stdout}`).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
    },
  );

  it("the operator's command works against the demo with the demo's admin key", () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'status'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, GATEWAY_URL: `http://127.0.0.1:${port}`, GATEWAY_ADMIN_KEY: DEMO_ADMIN_KEY },
    });
    captureChildOutput(result.stdout + result.stderr);
    expect(result.status, result.stderr).toBe(0);
    for (const account of ['ups-demo', 'fedex-demo', 'ups-consent-demo'])
      expect(result.stdout).toContain(account);
    expect(README).toContain(`GATEWAY_ADMIN_KEY=${DEMO_ADMIN_KEY}`);
  });
});
