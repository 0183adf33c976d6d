/**
 * @module test/admin/manual-failover-alert
 * A manual failover through the admin API is alerted as soon as it applies (not at the next
 * periodic run), once, naming the target, the operator's key id and reason and a runbook; the
 * restore sends the matching "resolved" alert once. The admin key never appears in an alert.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { fedexMainAccount, upsMainAccount } from '../support/shipping-accounts.js';

const CLIENT_KEY = `mfa-client-key-${randomUUID()}`;
const ADMIN_KEY = `mfa-admin-key-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'mfa-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'mfa-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, ADMIN_KEY, UPS_CLIENT.clientSecret, FEDEX_CLIENT.clientSecret);

interface Alert {
  rule: string;
  account?: string;
  resolved: boolean;
  title: string;
  text: string;
  runbook?: string;
}

let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let hook: RecordingServer;
let gateway: Gateway;
let base = '';

const alerts = (): Alert[] =>
  hook.requests
    .map((request) => JSON.parse(request.body.toString()) as Alert)
    .filter((alert) => alert.rule === 'manual_failover');

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${JSON.stringify(alerts())}`);
    await sleep(10);
  }
}

async function admin(method: string, path: string, body: unknown): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  hook = await startRecordingServer(() => ({ status: 204 }));
  const config = parseConfig(
    stringify({
      listen: { port: 0, host: '127.0.0.1' },
      alerts: { sinks: [{ kind: 'json', url: `${hook.url}/alerts` }], cooldownSeconds: 600 },
      admins: [{ id: 'oncall-dana', apiKey: ADMIN_KEY }],
      clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['ups-main', 'fedex-main'] }],
      accounts: [upsMainAccount(ups, UPS_CLIENT), fedexMainAccount(fedex, FEDEX_CLIENT)],
    }),
    'manual-failover-alert',
  );
  gateway = await createGateway(config, { log: testLogger('manual-failover-alert') });
  base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  registerIssuedTokens(ups, fedex);
  await gateway?.close();
  await ups?.close();
  await fedex?.close();
  await hook?.close();
});

describe('manual failover alerts', () => {
  it('alerts once when an operator fails an account over, and once when it is restored', async () => {
    expect(
      await admin('POST', '/v1/admin/accounts/ups-main/failover', {
        to: 'fedex-main',
        reason: 'UPS token endpoint down, runbook token-endpoint-down',
      }),
    ).toBe(200);
    await until(() => alerts().length === 1, 2_000);
    const [opened] = alerts();
    expect(opened).toMatchObject({ account: 'ups-main', resolved: false });
    expect(opened!.title).toContain('fedex-main');
    expect(opened!.text).toContain('oncall-dana');
    expect(opened!.text).toContain('UPS token endpoint down');
    expect(opened!.runbook).toMatch(/runbooks\/[a-z-]+\.md$/);

    // Another periodic run, or the same override seen again, does not repeat it.
    await gateway.alerter!.evaluate();
    await sleep(100);
    expect(alerts()).toHaveLength(1);

    expect(await admin('DELETE', '/v1/admin/accounts/ups-main/failover', { reason: 'UPS back' })).toBe(200);
    await until(() => alerts().length === 2, 2_000);
    expect(alerts()[1]).toMatchObject({ account: 'ups-main', resolved: true });
    await gateway.alerter!.evaluate();
    await sleep(100);
    expect(alerts()).toHaveLength(2);
    expect(JSON.stringify(hook.requests.map((request) => request.body.toString()))).not.toContain(ADMIN_KEY);
  });
});
