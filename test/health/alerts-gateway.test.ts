/**
 * @module test/health/alerts-gateway.test
 * Alerts as the gateway wires them (`alerts:` in the configuration): an auth outage at UPS that
 * opens its breaker and fails shipments over to FedEx sends one breaker alert and one failover
 * alert to the JSON webhook, each with a runbook link, whatever the number of shipments; the
 * recovery (a shipment made at UPS again) sends the matching "resolved" alerts once.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SimulatorHandle } from '../../src/sim/index.js';
import { eventually } from '../support/eventually.js';
import { registerSecrets } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { postShipment } from '../support/gateway-client.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `alerts-gw-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

let sims: ShippingSimulators;
let ups: SimulatorHandle;
let hook: RecordingServer;
let gw: TestGateway;

interface Alert {
  rule: string;
  account?: string;
  resolved: boolean;
  runbook?: string;
}

const alerts = (): Alert[] => hook.requests.map((request) => JSON.parse(request.body.toString()) as Alert);

const ship = async () => (await postShipment(gw, CLIENT_KEY)).account;
const untilAlerted = (check: (alert: Alert) => boolean, what: string) =>
  eventually(() => alerts().some(check), {
    timeoutMs: 3_000,
    what: () => `${what}: ${JSON.stringify(alerts())}`,
  });

beforeAll(async () => {
  sims = await startShippingSimulators('alerts');
  ({ ups } = sims);
  hook = await startRecordingServer(() => ({ status: 204 }));
  gw = await startTestGateway({
    name: 'alerts-gateway',
    config: {
      breaker: { volumeThreshold: 3, consecutiveFailures: 3, resetTimeoutMs: 500 },
      alerts: { sinks: [{ kind: 'json', url: `${hook.url}/alerts` }], cooldownSeconds: 600 },
    },
    clientKey: CLIENT_KEY,
    accounts: [sims.upsMain(), sims.fedexMain()],
  });
});

afterAll(() => closeTestGatewaysAnd(sims, hook));

describe('alerts wired into the gateway', () => {
  it('one alert per incident however many shipments fail over, and one on recovery', async () => {
    expect(await ship()).toBe('ups-main');
    await ups.setFaults({ prematureExpirySeconds: 0, errorInSuccessBody: true });
    for (let i = 0; i < 8; i += 1) expect(await ship()).toBe('fedex-main');
    await untilAlerted((alert) => alert.rule === 'breaker_open' && !alert.resolved, 'breaker alert');
    await untilAlerted((alert) => alert.rule === 'failover' && !alert.resolved, 'failover alert');
    const opened = alerts().filter((alert) => alert.account === 'ups-main' && !alert.resolved);
    expect(opened.filter((alert) => alert.rule === 'breaker_open')).toHaveLength(1);
    expect(opened.filter((alert) => alert.rule === 'failover')).toHaveLength(1);
    for (const alert of opened) expect(alert.runbook).toMatch(/runbooks\/[a-z-]+\.md$/);

    // UPS recovers; after the reset time the trial shipment closes the breaker.
    await ups.resetFaults();
    await sleep(2_600); // the token engine's first cooldown (2 s) and the breaker's reset (0.5 s)
    expect(await ship()).toBe('ups-main');
    await untilAlerted((alert) => alert.rule === 'breaker_open' && alert.resolved, 'breaker resolved');
    await untilAlerted((alert) => alert.rule === 'failover' && alert.resolved, 'failover resolved');
    for (let i = 0; i < 3; i += 1) await ship();
    await sleep(300);
    const resolved = alerts().filter((alert) => alert.account === 'ups-main' && alert.resolved);
    expect(resolved.filter((alert) => alert.rule === 'breaker_open')).toHaveLength(1);
    expect(resolved.filter((alert) => alert.rule === 'failover')).toHaveLength(1);
  }, 20_000);

  it('alerts when a client key is used from a network it has not used before, on the proxy and the API', async () => {
    const before = alerts().filter((alert) => alert.rule === 'client_new_network').length;
    // The test's other calls came from 127.0.0.1; 127.0.1.1 is another /24 on the loopback.
    const fromElsewhere = (method: string, path: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(path, gw.url);
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method,
            localAddress: '127.0.1.1',
            headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await fromElsewhere('GET', '/v1/accounts')).toBe(200);
    await eventually(() => alerts().filter((alert) => alert.rule === 'client_new_network').length > before, {
      timeoutMs: 3_000,
      what: () => `a new-network alert: ${JSON.stringify(alerts())}`,
    });
    const [alert] = alerts().filter((alert) => alert.rule === 'client_new_network');
    expect(JSON.stringify(alert)).not.toContain(CLIENT_KEY);
    // The same network again, through the proxy this time: nothing new.
    await fromElsewhere('POST', '/v1/carriers/fedex-main/address/v1/addresses/resolve', '{}');
    await sleep(300);
    expect(alerts().filter((alert) => alert.rule === 'client_new_network')).toHaveLength(before + 1);
  });
});
