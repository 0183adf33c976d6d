/**
 * @module test/support/global-log-capture
 * vitest global setup: makes the run's log capture folder, and at teardown scans every captured
 * log line (test/support/log-scan.ts). A finding fails the run, naming the file and the kind of
 * leak, never the value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { scanLogs } from './log-scan.js';

let dir = '';

export function setup(): void {
  dir = mkdtempSync(join(tmpdir(), 'carrier-gateway-logs-'));
  process.env.CARRIER_GATEWAY_LOG_CAPTURE = dir;
}

export function teardown(): void {
  const { lines, secrets, findings } = scanLogs(dir);
  process.stdout.write(
    `log capture: scanned ${lines} log lines against ${secrets} registered secrets: ${findings.length} leaks\n`,
  );
  if (process.env.KEEP_TEST_LOGS === undefined) rmSync(dir, { recursive: true, force: true });
  if (findings.length > 0) {
    // vitest reports a teardown error but keeps its own exit status; this makes the run fail.
    process.exitCode = 1;
    throw new Error(`secrets or tokens appeared in logs:\n${findings.join('\n')}`);
  }
}
