/**
 * @module test/security/log-scan
 * The suite-wide log check can fail: a leaked secret, JWT, Basic or Bearer credential in a
 * captured line is found, and clean lines are not flagged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { scanLogs } from '../support/log-scan.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'log-scan-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('log scan', () => {
  it('finds a registered secret', () => {
    const dir = folder({
      'secrets-1.txt': 'super-secret-value-42\ttest/auth/example.test.ts\n',
      'gateway-1.log':
        '{"msg":"ok"}\n{"level":50,"name":"gw","msg":"oops super-secret-value-42","secret":"super-secret-value-42"}\n',
    });
    const result = scanLogs(dir);
    expect(result).toEqual({
      lines: 2,
      secrets: 1,
      findings: [
        'gateway-1.log: a registered secret (registered in test/auth/example.test.ts; logger gw, msg "oops <leak>", fields name,msg,secret)',
      ],
    });
    expect(result.findings.join('\n')).not.toContain('super-secret-value-42');
  });

  it('finds credential shapes without a registration', () => {
    const dir = folder({
      'child-1.log': [
        'authorization: Bearer abcdefghijklmnop',
        'Basic ZGVtby11cHMtY2xpZW50OnNlY3JldA==',
        'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmNkZWYifQ.c2lnbmF0dXJl',
      ].join('\n'),
    });
    expect(scanLogs(dir).findings.sort()).toEqual([
      'child-1.log: a Basic credential (a plain line of 38 characters)',
      'child-1.log: a Bearer credential (a plain line of 38 characters)',
      'child-1.log: a JWT (a plain line of 56 characters)',
    ]);
  });

  it('passes clean lines and the published demo key', () => {
    const dir = folder({
      'gateway-2.log':
        '{"msg":"token refreshed","account":"ups-main"}\ncurl -H "Authorization: Bearer demo-shop-key-0123456789"\n',
    });
    expect(scanLogs(dir).findings).toEqual([]);
  });
});
