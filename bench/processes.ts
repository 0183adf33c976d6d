/**
 * @module bench/processes
 * Child processes of the benchmark (simulator, gateways, baseline proxy, redis-server) and their
 * cleanup. Every child is registered here the moment it is spawned, so a failure anywhere, an
 * interrupt or a plain exit stops all of them, and each gets a watchdog that ends it if the runner
 * itself is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { Redis } from 'ioredis';

import { projectRoot } from '../src/platform/project-root.js';
import { freePort } from '../test/support/redis-server.js';

export const ROOT = projectRoot();

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Last lines of output, for the error message when the child fails. */
  recentOutput(): string;
  /** The child's watchdog process (see watchdog()). */
  guard: ChildProcess | undefined;
  stop(): Promise<void>;
}

const children = new Set<Child>();
/** Children that died while the benchmark still needed them. */
const crashed: string[] = [];

/** Throws if any child died unexpectedly: figures measured against a dead process mean nothing. */
export function assertAlive(): void {
  const report = crashReport();
  if (report !== undefined) throw new Error(report);
}

/** What died unexpectedly, with its last output; often the real cause behind a later error. */
export function crashReport(): string | undefined {
  return crashed.length === 0 ? undefined : `child process exited unexpectedly:\n${crashed.join('\n')}`;
}

function keepTail(lines: string[], chunk: string): void {
  for (const line of chunk.split('\n')) if (line.trim() !== '') lines.push(line);
  if (lines.length > 30) lines.splice(0, lines.length - 30);
}

/**
 * A watchdog for `pid`, outside the runner and outside the child: `read` returns at end-of-file on
 * its stdin, i.e. once the runner is gone by whatever route (SIGKILL included), and the shell then
 * sends SIGTERM, and SIGKILL 5 s later. It is a separate process rather than code preloaded into the
 * child because a Node child under tsx was seen to hang in its own shutdown (main thread parked in
 * a futex, so no timer of its own could fire), and redis-server cannot watch its parent at all.
 */
function watchdog(pid: number): ChildProcess {
  const shell = spawn(
    'sh',
    ['-c', 'read _ ; kill -TERM "$0" 2>/dev/null ; sleep 5 ; kill -KILL "$0" 2>/dev/null', String(pid)],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  // EPIPE on the watchdog's stdin after it is gone is nobody's problem.
  shell.stdin?.on('error', () => {});
  return shell;
}

function register(name: string, child: ChildProcess, stopSignal: NodeJS.Signals): Child {
  const tail: string[] = [];
  let stopping = false;
  const guard = child.pid === undefined ? undefined : watchdog(child.pid);
  // Output must be drained even when nobody reads it, or a chatty child blocks on a full pipe.
  child.stdout?.on('data', (chunk: Buffer) => keepTail(tail, chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => keepTail(tail, chunk.toString()));
  const entry: Child = {
    name,
    process: child,
    pid: child.pid ?? -1,
    recentOutput: () => tail.join('\n'),
    guard,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) {
          children.delete(entry);
          return resolve();
        }
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          children.delete(entry);
          resolve();
        });
        child.kill(stopSignal);
      }),
  };
  child.once('exit', (code, signal) => {
    children.delete(entry);
    // Its job is done; killed so that it can never signal a recycled pid.
    guard?.kill('SIGKILL');
    if (!stopping)
      crashed.push(`${name} (pid ${entry.pid}) exited with ${signal ?? code}\n${entry.recentOutput()}`);
  });
  children.add(entry);
  return entry;
}

/** Stops every child still running (SIGTERM, SIGKILL after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

/** Synchronous last resort for `process.on('exit')`, where nothing asynchronous runs any more. */
export function killAllNow(): void {
  for (const child of children) {
    // The watchdog too: its own 'exit' handler will not run any more, and a watchdog left behind
    // would signal the pid seconds later, when it might belong to an unrelated process.
    for (const target of [child.process, child.guard]) {
      try {
        target?.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
}

const GATEWAY_ENTRY = 'src/main.ts';
/** Where `npm run build` (tsconfig.build.json) puts the gateway's entry point. */
export const BUILT_GATEWAY_ENTRY = 'dist/src/main.js';

export interface NodeChildOptions<T> {
  name: string;
  /** Path relative to the project root. */
  script: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Given each stdout line parsed as JSON; returns a value once the child is ready. */
  ready: (line: Record<string, unknown>) => T | undefined;
  timeoutMs?: number;
}

/**
 * Starts a TypeScript entry point with `node --import tsx` (one process, unlike the tsx CLI, so
 * the pid measured and signalled is the one doing the work) and resolves once `ready` accepts a
 * line of its output.
 */
export async function startNodeChild<T>(options: NodeChildOptions<T>): Promise<{ child: Child; value: T }> {
  // BENCH_BUILT=1: the gateway as production runs it, compiled (bench/run.ts builds it first).
  const built = process.env.BENCH_BUILT === '1' && options.script === GATEWAY_ENTRY;
  const proc = spawn(
    process.execPath,
    built
      ? [...(options.nodeArgs ?? []), BUILT_GATEWAY_ENTRY, ...(options.args ?? [])]
      : ['--import', 'tsx', ...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])],
    { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = register(options.name, proc, 'SIGTERM');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const value = await new Promise<T>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      reject(new Error(`${options.name} did not start within ${timeoutMs} ms:\n${child.recentOutput()}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} while starting:\n${child.recentOutput()}`));
    };
    proc.once('exit', onExit);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // Not every line a child prints is JSON.
        }
        if (typeof parsed !== 'object' || parsed === null) continue;
        const result = options.ready(parsed as Record<string, unknown>);
        if (result === undefined) continue;
        clearTimeout(timer);
        proc.off('exit', onExit);
        proc.stdout?.off('data', onData);
        resolve(result);
        return;
      }
    };
    proc.stdout?.on('data', onData);
  });
  return { child, value };
}

/** A throwaway redis-server on a free loopback port, with persistence off; resolves once it answers PING. */
export async function startRedis(): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = register('redis-server', proc, 'SIGTERM');
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    assertAlive();
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // Refused until the server listens.
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { child, url };
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
