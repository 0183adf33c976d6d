/**
 * The process's log lines reach standard output in batches (src/platform/log.ts
 * `stdoutDestination`): one write system call per 16 KiB or per `log.flushMs`, not one per line,
 * with nothing lost or torn, and everything written out when the process exits at once.
 */
import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/platform/project-root.js';

interface WriterRun {
  lines: Array<{ line: number; msg: string }>;
  /** Write system calls to standard output, as the program counted them (absent when it exited at once). */
  writes: number | undefined;
  /** Whether every line had arrived before the program reported (it then stays idle for 3 s). */
  linesBeforeReport: boolean;
}

function runWriter(
  flushMs: number,
  count: number,
  then: 'exit' | 'stay' | 'flush' | 'throw',
): Promise<WriterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/http/programs/log-writer.ts', String(flushMs), String(count), then],
      { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 },
    );
    let stdout = '';
    let stderr = '';
    let linesBeforeReport = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr === '') linesBeforeReport = stdout.split('\n').length > count;
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const writes = /writes=(\d+)/.exec(stderr);
      resolve({
        lines: stdout
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { line: number; msg: string }),
        writes: writes ? Number(writes[1]) : undefined,
        linesBeforeReport,
      });
    });
  });
}

describe('batched log lines on standard output', () => {
  it('writes 200 lines in a few system calls, whole and in order, well before the process goes quiet', async () => {
    const run = await runWriter(100, 200, 'stay');
    expect(run.lines.map((entry) => entry.line)).toEqual([...Array(200).keys()]);
    // 200 lines of ~190 bytes: 38 KB, three 16 KiB writes; a write per line would be 200.
    expect(run.writes).toBeGreaterThan(0);
    expect(run.writes).toBeLessThanOrEqual(6);
    expect(run.linesBeforeReport).toBe(true);
  });

  it('writes each line at once with flushMs 0', async () => {
    const run = await runWriter(0, 200, 'stay');
    expect(run.lines).toHaveLength(200);
    // At least one write a line; a pipe that is momentarily full makes sonic-boom retry a write.
    expect(run.writes).toBeGreaterThanOrEqual(200);
  });

  it('writes at once what waits when the logger is flushed (the listening line)', async () => {
    // The batch would wait 2 s; the program reports 200 ms after its flush.
    const run = await runWriter(2_000, 20, 'flush');
    expect(run.writes).toBeGreaterThanOrEqual(1);
    expect(run.linesBeforeReport).toBe(true);
    expect(run.lines).toHaveLength(20);
  });

  it('loses nothing when the process exits right after logging', async () => {
    const run = await runWriter(1_000, 50, 'exit');
    expect(run.lines.map((entry) => entry.line)).toEqual([...Array(50).keys()]);
  });

  it('loses nothing when an uncaught error ends the process right after logging', async () => {
    const run = await runWriter(1_000, 50, 'throw');
    expect(run.lines.map((entry) => entry.line)).toEqual([...Array(50).keys()]);
  });
});
