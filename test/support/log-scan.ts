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
  /**
   * `file: kind of leak`, then where it came from: the test that registered the secret, and the
   * line's logger name and message with the value cut out. Never the leaked value.
   */
  findings: string[];
}

/** What a leaking line was about, with every occurrence of the leaked text replaced. */
function context(line: string, leaked: string | RegExp): string {
  const scrub = (text: unknown) =>
    typeof text === 'string'
      ? typeof leaked === 'string'
        ? text.replaceAll(leaked, '<leak>')
        : text.replace(new RegExp(leaked.source, 'g'), '<leak>')
      : undefined;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const fields = Object.keys(record).filter((key) => !['level', 'time', 'pid', 'hostname'].includes(key));
    return `logger ${scrub(record.name) ?? '-'}, msg "${scrub(record.msg) ?? ''}", fields ${fields.join(',')}`;
  } catch {
    return `a plain line of ${line.length} characters`;
  }
}

export function scanLogs(dir: string): ScanResult {
  const files = readdirSync(dir);
  // value → the test that registered it (`value\torigin` lines; a bare value has no origin)
  const secrets = new Map<string, string>();
  for (const file of files.filter((name) => name.startsWith('secrets-'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const tab = line.indexOf('\t');
      if (tab < 0) secrets.set(line, 'unknown');
      else secrets.set(line.slice(0, tab), line.slice(tab + 1));
    }
  }
  const findings = new Set<string>();
  let lines = 0;
  for (const file of files.filter((name) => name.endsWith('.log'))) {
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!raw) continue;
      lines += 1;
      const line = PUBLIC_DEMO_VALUES.reduce((text, value) => text.replaceAll(value, '<demo>'), raw);
      for (const [kind, shape] of CREDENTIAL_SHAPES)
        if (shape.test(line)) findings.add(`${file}: ${kind} (${context(line, shape)})`);
      for (const [secret, origin] of secrets)
        if (line.includes(secret))
          findings.add(`${file}: a registered secret (registered in ${origin}; ${context(line, secret)})`);
    }
  }
  return { lines, secrets: secrets.size, findings: [...findings] };
}
