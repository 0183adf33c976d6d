/**
 * @module test/config/fixtures
 * Configuration texts and helpers shared by the config tests: a minimal valid file, a way to
 * catch the `ERR_CONFIG_INVALID` a call throws, and temporary files that clean up after the run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, expect } from 'vitest';

import { isGatewayError, type GatewayError } from '../../src/core/errors.js';
import { registerSecrets } from '../support/log-capture.js';

export const CLIENT_API_KEY = 'shop-api-key-7d41c0e9b2';
export const UPS_SECRET = 'ups-config-secret-2b9e41';
registerSecrets(CLIENT_API_KEY, UPS_SECRET);

/** The smallest valid file: one client, one UPS account (credentials per [UPS-CC] 1.3). */
export const MINIMAL_YAML = `
clients:
  - id: shop
    apiKey: '${CLIENT_API_KEY}'
    accounts: [ups-main]
accounts:
  - id: ups-main
    carrier: ups
    credentials:
      clientId: ups-client-id
      clientSecret: '${UPS_SECRET}'
`;

/** Runs `fn`, expecting ERR_CONFIG_INVALID; returns it for further checks. */
export function configFailure(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    expect(isGatewayError(error), `expected a GatewayError, got ${String(error)}`).toBe(true);
    if (!isGatewayError(error)) throw error;
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    // The CLI prints the message: every problem of the detail is in it, each with its fix.
    const problems = error.extensions?.['problems'] as
      { path: string; problem: string; fix?: string }[] | undefined;
    if (problems === undefined) expect(error.message).toBe(`invalid configuration: ${error.detail}`);
    else {
      expect(error.message).toMatch(/^invalid configuration: /);
      for (const entry of problems) {
        expect(error.detail).toContain(`${entry.path}: ${entry.problem}`);
        expect(error.message).toContain(`  ${entry.path}: ${entry.problem}`);
        if (entry.fix !== undefined) expect(error.message).toContain(`fix: ${entry.fix}`);
      }
    }
    return error;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

/** A temporary folder removed after the test file; one per importing file. */
export function tempDir(prefix: string): () => string {
  let dir: string | undefined;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => (dir ??= mkdtempSync(join(tmpdir(), `carrier-gateway-${prefix}-`)));
}

export function writeTemp(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}
