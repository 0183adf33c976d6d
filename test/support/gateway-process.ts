/**
 * @module test/support/gateway-process
 * Runs gateway instances as separate operating-system processes (the real `src/main.ts` CLI
 * under tsx), sharing one Redis: the fleet the stampede and rotation tests need. Their log
 * output goes to the suite's log capture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from './log-capture.js';

export interface GatewayProcess {
  port: number;
  url: string;
  child: ChildProcess;
  /** The instance's log lines about tokens (no values: the gateway never logs them), for failure messages. */
  tokenLog(): string[];
  /** Every complete stdout line so far (JSON log lines), for tests that read when something happened. */
  log(): string[];
  stop(): Promise<void>;
}

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('hex');

export function writeConfig(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'carrier-gateway-config-')), 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Starts `src/main.ts --config FILE` with PORT=0 and resolves once it logs its port. */
export async function startGatewayProcess(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configFile], {
    cwd: projectRoot(),
    env: {
      ...process.env,
      PORT: '0',
      GATEWAY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      GATEWAY_CONFIG: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const tokenLines: string[] = [];
  const allLines: string[] = [];
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    captureChildOutput(chunk);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr}`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      captureChildOutput(chunk);
      buffer += chunk.toString();
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      allLines.push(...complete);
      for (const line of complete) if (/token|redis|lock/.test(line)) tokenLines.push(line);
      for (const line of buffer.split('\n')) {
        if (!line.includes('carrier gateway listening')) continue;
        try {
          const parsed = JSON.parse(line) as { port?: number };
          if (typeof parsed.port === 'number') {
            clearTimeout(timer);
            resolve(parsed.port);
          }
        } catch {
          // A partial line; the rest comes with the next chunk.
        }
      }
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    tokenLog: () => [...tokenLines],
    log: () => [...allLines],
    // At once, as a test wants: SIGTERM starts the graceful stop and SIGINT right behind it ends
    // it (the second signal exits at once). The graceful stop has its own tests (test/lifecycle).
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        child.kill('SIGINT');
      }),
  };
}
