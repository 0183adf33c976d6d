/**
 * @module test/support/global-log-capture
 * vitest global setup: makes the run's log capture folder, and at teardown scans every captured
 * log line for registered secrets and for anything shaped like a credential. A finding fails
 * the run (thrown from teardown), naming the file and the kind of leak, never the value.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CREDENTIAL_SHAPES: [string, RegExp][] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
  ['a Basic credential', /Basic [A-Za-z0-9+/=]{12,}/],
  ['a Bearer credential', /Bearer [A-Za-z0-9._~+/-]{12,}/],
];

let dir = '';

export function setup(): void {
  dir = mkdtempSync(join(tmpdir(), 'carrier-gateway-logs-'));
  mkdirSync(dir, { recursive: true });
  process.env.CARRIER_GATEWAY_LOG_CAPTURE = dir;
}

export function teardown(): void {
  const files = readdirSync(dir);
  const secrets = new Set<string>();
  for (const file of files.filter((name) => name.startsWith('secrets-'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) if (line) secrets.add(line);
  }
  const findings: string[] = [];
  let lines = 0;
  for (const file of files.filter((name) => name.endsWith('.log'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines += 1;
      for (const [kind, shape] of CREDENTIAL_SHAPES) if (shape.test(line)) findings.push(`${file}: ${kind}`);
      for (const secret of secrets) if (line.includes(secret)) findings.push(`${file}: a registered secret`);
    }
  }
  process.stdout.write(
    `log capture: scanned ${lines} log lines against ${secrets.size} registered secrets: ${findings.length} leaks\n`,
  );
  if (process.env.KEEP_TEST_LOGS === undefined) rmSync(dir, { recursive: true, force: true });
  if (findings.length > 0) {
    throw new Error(`secrets or tokens appeared in logs:\n${[...new Set(findings)].join('\n')}`);
  }
}
