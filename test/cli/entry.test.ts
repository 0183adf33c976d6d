/**
 * @module test/cli/entry.test
 * The real program (`src/main.ts` under tsx) end to end, in child processes: `--config FILE`
 * still serves as before the commands existed, and now with reload wired in (the admin API's
 * reload and SIGHUP, which used to end the process); admin commands run as a separate process
 * exit with 0, 1 or 2 as documented and finish on their own.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import type { AuditEntry } from '../../src/admin/audit-log.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerSecrets } from '../support/log-capture.js';
import { runProgram } from '../support/main-program.js';
import { closeAll, closedPort, gatewayYaml, readTable, runCli } from './harness.js';
import { eventually } from '../support/eventually.js';

const CLIENT_KEY = `entry-client-${randomUUID()}`;
const NEW_CLIENT_KEY = `entry-client-new-${randomUUID()}`;
const ADMIN_KEY = `entry-admin-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'entry-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'entry-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, NEW_CLIENT_KEY, ADMIN_KEY, UPS_CLIENT.clientSecret, FEDEX_CLIENT.clientSecret);

let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let file: string;
let gateway: GatewayProcess;

const yaml = (clientKey: string) =>
  gatewayYaml({
    upsUrl: ups.url,
    fedexUrl: fedex.url,
    clientKey,
    adminKey: ADMIN_KEY,
    ups: UPS_CLIENT,
    fedex: FEDEX_CLIENT,
  });

const program = runProgram;

const accounts = (key: string) =>
  fetch(`${gateway.url}/v1/accounts`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  file = writeConfig(yaml(CLIENT_KEY));
  gateway = await startGatewayProcess(file);
});

afterAll(() => closeAll(gateway, ups, fedex));

describe('carrier-gateway as a program', () => {
  it('status, a usage error and a wrong key exit 0, 2 and 1, and the process ends by itself', async () => {
    const env = { GATEWAY_URL: gateway.url, GATEWAY_ADMIN_KEY: ADMIN_KEY };
    const status = await program(['status'], env);
    expect(status).toMatchObject({ code: 0, signal: null, stderr: '' });
    // In account id order, as the health pages come.
    expect(readTable(status.stdout).map((row) => row.ACCOUNT)).toEqual([
      'fedex-main',
      'fedex-spare',
      'ups-main',
    ]);
    // A pipe is not a terminal: no colour codes.
    expect(status.stdout).not.toContain('\x1b[');

    const usage = await program(['failover', 'ups-main'], env);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toMatch(/^carrier-gateway: failover needs --reason TEXT\n/);

    const wrong = await program(['status'], { ...env, GATEWAY_ADMIN_KEY: `wrong-${ADMIN_KEY}` });
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    // The health routes also take client keys, so the refusal is the client one, said plainly.
    expect(wrong.stderr).toBe(
      'carrier-gateway: ERR_UNAUTHENTICATED: the gateway knows GATEWAY_ADMIN_KEY neither as an admin key nor as a client key\n',
    );
    expect(wrong.stderr).not.toContain(ADMIN_KEY);

    const down = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await program(['status', '--url', down], env);
    expect(unreachable).toMatchObject({
      code: 1,
      stderr: `carrier-gateway: cannot reach the gateway at ${down}: connection refused\n`,
    });
  });

  it('a gateway started with --config reloads its file through the admin API', async () => {
    try {
      writeFileSync(file, yaml(NEW_CLIENT_KEY));
      const reloaded = await runCli({ url: gateway.url, adminKey: ADMIN_KEY }, [
        'reload',
        '--reason',
        'new shop key',
      ]);
      expect(reloaded).toMatchObject({ code: 0, stderr: '' });
      expect(reloaded.stdout).toMatch(/^reloaded on 1 instance\napplied: clients\n/);
      expect(await accounts(NEW_CLIENT_KEY)).toBe(200);
      expect(await accounts(CLIENT_KEY)).toBe(401);
    } finally {
      writeFileSync(file, yaml(CLIENT_KEY));
      await runCli({ url: gateway.url, adminKey: ADMIN_KEY }, ['reload', '--reason', 'back']);
    }
  });

  it('SIGHUP reloads the file, keeps serving, and is audited as the signal', async () => {
    expect(await accounts(CLIENT_KEY)).toBe(200);
    writeFileSync(file, yaml(NEW_CLIENT_KEY));
    try {
      gateway.child.kill('SIGHUP');
      await eventually(
        () =>
          gateway
            .log()
            .some(
              (line) =>
                line.includes('"signal":"SIGHUP"') &&
                line.includes('configuration reloaded') &&
                line.includes('"applied":["clients"]'),
            ),
        { what: 'the reload to finish', timeoutMs: 10_000 },
      );
      expect(gateway.child.exitCode).toBeNull();
      expect(await accounts(NEW_CLIENT_KEY)).toBe(200);
      expect(await accounts(CLIENT_KEY)).toBe(401);
      const audit = await runCli({ url: gateway.url, adminKey: ADMIN_KEY }, [
        'audit',
        '--action',
        'reload',
        '--limit',
        '1',
        '--json',
      ]);
      const [entry] = (JSON.parse(audit.stdout) as { entries: AuditEntry[] }).entries;
      expect(entry).toMatchObject({
        admin: 'signal:SIGHUP',
        reason: 'SIGHUP received',
        params: { scope: 'local' },
        result: { ok: true },
      });
    } finally {
      writeFileSync(file, yaml(CLIENT_KEY));
    }
  });
});
