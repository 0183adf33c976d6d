/**
 * @module test/cli/harness
 * What the command-line tests share: a driver for `run()` that captures both streams (and fails
 * the test if the admin key ever shows in either), a reader for the tables the commands print,
 * the configuration of the test gateway, and a loopback port nothing listens on.
 */
import { expect } from 'vitest';
import { stringify } from 'yaml';

import { run } from '../../src/cli/run.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { registerIssuedTokens } from '../support/log-capture.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Replaces the default environment's members; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  tty?: boolean;
}

/** Runs one command line with GATEWAY_URL and GATEWAY_ADMIN_KEY set to `base` unless `env` says otherwise. */
export async function runCli(
  base: { url: string; adminKey: string },
  argv: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const merged: Record<string, string | undefined> = {
    GATEWAY_URL: base.url,
    GATEWAY_ADMIN_KEY: base.adminKey,
    ...options.env,
  };
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  let stdout = '';
  let stderr = '';
  const code = await run(argv, env, {
    stdout: {
      write: (text: string) => (stdout += text),
      ...(options.tty !== undefined ? { isTTY: options.tty } : {}),
    },
    stderr: { write: (text: string) => (stderr += text) },
  });
  expect(stdout + stderr, 'the admin key was printed').not.toContain(base.adminKey);
  if (env.GATEWAY_ADMIN_KEY !== undefined && env.GATEWAY_ADMIN_KEY.length >= 8) {
    expect(stdout + stderr, 'the admin key was printed').not.toContain(env.GATEWAY_ADMIN_KEY);
  }
  return { code, stdout, stderr };
}

/** A printed table as records keyed by its headers (cells are separated by two or more blanks). */
export function readTable(text: string): Record<string, string>[] {
  const [header, ...rows] = text.split('\n').filter((line) => line.trim() !== '');
  const names = header!.split(/\s{2,}/);
  return rows.map((row) =>
    Object.fromEntries(row.split(/\s{2,}/).map((cell, index) => [names[index], cell])),
  );
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[\d+m/g;

/** A loopback port that was free a moment ago and has nobody listening now. */
export { freePort as closedPort } from '../support/redis-server.js';

/**
 * For afterAll: the simulators' issued tokens go to the log scan, then the gateway (in-process or
 * a child process) stops and the simulators close, in that order.
 */
export async function closeAll(
  gateway: { close(): Promise<void> } | { stop(): Promise<void> } | undefined,
  ...simulators: (SimulatorHandle | undefined)[]
): Promise<void> {
  registerIssuedTokens(...simulators);
  await (gateway && ('stop' in gateway ? gateway.stop() : gateway.close()));
  for (const simulator of simulators) await simulator?.close();
}

export interface GatewaySettings {
  upsUrl: string;
  fedexUrl: string;
  clientKey: string;
  adminKey: string;
  ups: { clientId: string; clientSecret: string };
  fedex: { clientId: string; clientSecret: string };
  /** Replaces or adds top-level members (a reload test breaks the file with one). */
  extra?: Record<string, unknown>;
}

/** One client, one admin (`oncall-dana`), a UPS account and two FedEx ones that can ship. */
export function gatewayYaml(settings: GatewaySettings): string {
  return stringify({
    listen: { port: 0, host: '127.0.0.1' },
    clients: [{ id: 'shop', apiKey: settings.clientKey, accounts: ['ups-main', 'fedex-main'] }],
    admins: [{ id: 'oncall-dana', apiKey: settings.adminKey }],
    accounts: [
      {
        id: 'ups-main',
        carrier: 'ups',
        urls: { token: `${settings.upsUrl}/security/v1/oauth/token`, api: settings.upsUrl },
        credentials: settings.ups,
        shipping: { shipperNumber: 'A1B2C3' },
      },
      {
        id: 'fedex-main',
        carrier: 'fedex',
        urls: { token: `${settings.fedexUrl}/oauth/token`, api: settings.fedexUrl },
        credentials: settings.fedex,
        shipping: { accountNumber: '740561073' },
      },
      {
        id: 'fedex-spare',
        carrier: 'fedex',
        urls: { token: `${settings.fedexUrl}/oauth/token`, api: settings.fedexUrl },
        credentials: settings.fedex,
        shipping: { accountNumber: '740561074' },
      },
    ],
    ...settings.extra,
  });
}
