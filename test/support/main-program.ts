/**
 * @module test/support/main-program
 * Runs `carrier-gateway` as an operator does, a process of its own (`node --import tsx
 * src/main.ts ...argv` from the project root), and collects how it ended; or starts the demo
 * (`--demo`) on a free port and leaves it running. Their output goes to the log scan too, so a
 * secret they print fails the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';

import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from './log-capture.js';
import { freePort } from './redis-server.js';

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

export interface DemoProcess {
  port: number;
  child: ChildProcess;
  /** Everything it printed so far, both streams. */
  output(): string;
}

export interface DemoOptions {
  /** Also wait for the "Try:" banner (stdout; it and the log lines may arrive in either order). */
  banner?: boolean;
  timeoutMs?: number;
  /** Each child is added here as soon as it is spawned, so a test can stop it even if it never starts. */
  children?: ChildProcess[];
}

/**
 * `src/main.ts --demo ...args` on a free gateway port, without the caller's GATEWAY_CONFIG,
 * GATEWAY_ENCRYPTION_KEY and (unless `env` names it) GATEWAY_HOST; resolves once it listens.
 */
export async function startDemo(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: DemoOptions = {},
): Promise<DemoProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), ...env };
  delete childEnv.GATEWAY_CONFIG;
  delete childEnv.GATEWAY_ENCRYPTION_KEY;
  if (env.GATEWAY_HOST === undefined) delete childEnv.GATEWAY_HOST;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--demo', ...args], {
    cwd: projectRoot(),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.children?.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo did not start: ${output}`)),
      options.timeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer) => {
      captureChildOutput(chunk);
      output += chunk.toString();
      if ((!options.banner || output.includes('Try:')) && output.includes('carrier gateway listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
  });
  return { port, child, output: () => output };
}
