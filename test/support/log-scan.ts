/**
 * @module test/support/log-scan
 * Scans a folder of captured log lines for registered secrets and for anything shaped like a
 * credential. Used by the suite-wide check in global-log-capture.ts and tested on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CREDENTIAL_SHAPES: [string, RegExp][] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
  ['a Basic credential', /Basic [A-Za-z0-9+/=]{12,}/],
  ['a Bearer credential', /Bearer [A-Za-z0-9._~+/-]{12,}/],
];

/** Published in README.md and config/demo.yaml: the demo prints it on purpose. */
const PUBLIC_DEMO_VALUES = ['demo-shop-key-0123456789'];

export interface ScanResult {
  lines: number;
  secrets: number;
  /** `file: kind of leak`, never the leaked value. */
  findings: string[];
}

export function scanLogs(dir: string): ScanResult {
  const files = readdirSync(dir);
  const secrets = new Set<string>();
  for (const file of files.filter((name) => name.startsWith('secrets-'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) if (line) secrets.add(line);
  }
  const findings = new Set<string>();
  let lines = 0;
  for (const file of files.filter((name) => name.endsWith('.log'))) {
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!raw) continue;
      lines += 1;
      const line = PUBLIC_DEMO_VALUES.reduce((text, value) => text.replaceAll(value, '<demo>'), raw);
      for (const [kind, shape] of CREDENTIAL_SHAPES) if (shape.test(line)) findings.add(`${file}: ${kind}`);
      for (const secret of secrets) if (line.includes(secret)) findings.add(`${file}: a registered secret`);
    }
  }
  return { lines, secrets: secrets.size, findings: [...findings] };
}
