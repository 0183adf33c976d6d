/**
 * @module test/support/main-program
 * Runs `carrier-gateway` as an operator does, a process of its own (`node --import tsx
 * src/main.ts ...argv` from the project root), and collects how it ended. Its output goes to the
 * log scan too, so a secret it prints fails the run.
 */
import { spawn } from 'node:child_process';

import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from './log-capture.js';

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * `env` is the child's whole environment (PATH is added when absent). The timeout (20 s) kills a
 * command that hangs on an open socket, or a gateway that wrongly starts listening, instead of
 * exiting.
 */
export function runProgram(argv: string[], env: NodeJS.ProcessEnv): Promise<ProgramExit> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...argv], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      captureChildOutput(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      captureChildOutput(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started }),
    );
  });
}
