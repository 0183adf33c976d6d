/**
 * @module test/admin/manual-failover-alert
 * A manual failover through the admin API is alerted as soon as it applies (not at the next
 * periodic run), once, naming the target, the operator's key id and reason and a runbook; the
 * restore sends the matching "resolved" alert once. The admin key never appears in an alert.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `mfa-client-key-${randomUUID()}`;
const ADMIN_KEY = `mfa-admin-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY, ADMIN_KEY);

interface Alert {
  rule: string;
  account?: string;
  resolved: boolean;
  title: string;
  text: string;
  runbook?: string;
}

let sims: ShippingSimulators;
let hook: RecordingServer;
let gw: TestGateway;

const alerts = (): Alert[] =>
  hook.requests
    .map((request) => JSON.parse(request.body.toString()) as Alert)
    .filter((alert) => alert.rule === 'manual_failover');

const untilAlerts = (count: number) =>
  eventually(() => alerts().length === count, {
    timeoutMs: 2_000,
    what: () => `${count} alerts: ${JSON.stringify(alerts())}`,
  });

async function admin(method: string, path: string, body: unknown): Promise<number> {
  return (await callGateway(gw, path, { method, key: ADMIN_KEY, body })).status;
}

beforeAll(async () => {
  sims = await startShippingSimulators('mfa');
  hook = await startRecordingServer(() => ({ status: 204 }));
  gw = await startTestGateway({
    name: 'manual-failover-alert',
    config: { alerts: { sinks: [{ kind: 'json', url: `${hook.url}/alerts` }], cooldownSeconds: 600 } },
    admins: [{ id: 'oncall-dana', apiKey: ADMIN_KEY }],
    clientKey: CLIENT_KEY,
    accounts: [sims.upsMain(), sims.fedexMain()],
  });
});

afterAll(() => closeTestGatewaysAnd(sims, hook));

describe('manual failover alerts', () => {
  it('alerts once when an operator fails an account over, and once when it is restored', async () => {
    expect(
      await admin('POST', '/v1/admin/accounts/ups-main/failover', {
        to: 'fedex-main',
        reason: 'UPS token endpoint down, runbook token-endpoint-down',
      }),
    ).toBe(200);
    await untilAlerts(1);
    const [opened] = alerts();
    expect(opened).toMatchObject({ account: 'ups-main', resolved: false });
    expect(opened!.title).toContain('fedex-main');
    expect(opened!.text).toContain('oncall-dana');
    expect(opened!.text).toContain('UPS token endpoint down');
    expect(opened!.runbook).toMatch(/runbooks\/[a-z-]+\.md$/);

    // Another periodic run, or the same override seen again, does not repeat it.
    await gw.gateway.alerter!.evaluate();
    await sleep(100);
    expect(alerts()).toHaveLength(1);

    expect(await admin('DELETE', '/v1/admin/accounts/ups-main/failover', { reason: 'UPS back' })).toBe(200);
    await untilAlerts(2);
    expect(alerts()[1]).toMatchObject({ account: 'ups-main', resolved: true });
    await gw.gateway.alerter!.evaluate();
    await sleep(100);
    expect(alerts()).toHaveLength(2);
    expect(JSON.stringify(hook.requests.map((request) => request.body.toString()))).not.toContain(ADMIN_KEY);
  });
});
