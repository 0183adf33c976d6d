/**
 * @module test/health/alerts-fleet.test
 * Two gateway instances on one real redis-server (and again on a three-master Redis Cluster), each
 * with its own Alerter, post to one webhook:
 * an incident both see makes one alert and one recovery (breaker transitions reach both; both
 * evaluate the same rules at the same moment), a new network is new once for the whole fleet,
 * and failover through real `POST /v1/shipments` calls starts and ends once.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { Alerter, type Alert } from '../../src/alerts/alerter.js';
import type { Gateway } from '../../src/gateway.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import type { Attempt } from '../../src/shipments/shipment-service.js';
import { eventually } from '../support/eventually.js';
import { postShipment } from '../support/gateway-client.js';
import { registerSecrets, testLogger } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGateways, startTestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `fleet-alerts-key-${randomUUID()}`;
// Long enough that a loaded machine still sends the second shipment while the breaker is open.
const RESET_MS = 1_500;
registerSecrets(CLIENT_KEY);

let redis: TestTopology;
let sims: ShippingSimulators;
let ups: SimulatorHandle;
let webhook: RecordingServer;
let instances: { gateway: Gateway; alerter: Alerter; base: string }[] = [];

const alerts = (rule: string, account?: string) =>
  webhook.requests
    .map((request) => JSON.parse(request.body) as Alert)
    .filter((alert) => alert.rule === rule && (account === undefined || alert.account === account));
// The gateways wire their own alerters too (the shipment path calls them): wait for those as well.
const idle = () =>
  Promise.all(
    instances.flatMap(({ alerter, gateway }) => [
      alerter.idle(),
      gateway.alerter?.idle() ?? Promise.resolve(),
    ]),
  );
/** Both instances run their periodic rules at the same moment, twice. */
async function evaluateBoth(): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    await Promise.all(instances.map(({ alerter }) => alerter.evaluate()));
    await idle();
  }
}

async function startFleet(topology: (typeof TOPOLOGIES)[number]): Promise<void> {
  redis = await startTopology(topology);
  sims = await startShippingSimulators('fleet-alerts');
  ({ ups } = sims);
  webhook = await startRecordingServer();
  const ups_ = (id: string, extra: Record<string, unknown> = {}) => sims.upsMain({ id, ...extra });
  const keyPrefix = `alerts-fleet-${randomUUID()}:`;
  for (let i = 0; i < 2; i += 1) {
    const { gateway, config, url } = await startTestGateway({
      name: `alerts-fleet-${i}`,
      redis: { ...redis.endpoint, keyPrefix },
      config: { alerts: { sinks: [{ kind: 'json', url: `${webhook.url}/alerts` }], cooldownSeconds: 900 } },
      clientKey: CLIENT_KEY,
      accounts: [
        ups_('ups-main'),
        ups_('ups-expiring', { secretExpiresAt: new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString() }),
        ups_('ups-failover'),
        sims.fedexMain(),
      ],
      options: { sharedStatePollMs: 200 },
      breaker: {
        volumeThreshold: 1,
        errorThresholdPercentage: 0,
        consecutiveFailures: 1,
        resetTimeoutMs: RESET_MS,
      },
      engine: {
        manager: {
          retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
          cooldown: { baseMs: 50, maxMs: 100 },
        },
      },
    });
    const alerter = new Alerter({
      accounts: gateway.accounts,
      health: gateway.health,
      breakers: gateway.breakers,
      recorder: gateway.recorder,
      log: testLogger(`alerts-fleet-${i}`),
      config: config.alerts!,
      redis: gateway.redis!,
      intervalMs: 3_600_000,
    });
    alerter.start();
    instances.push({ gateway, alerter, base: url });
  }
  // Let the shared-state subscriptions land.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function stopFleet(): Promise<void> {
  for (const { alerter } of instances) await alerter.stop();
  await closeTestGateways();
  instances = [];
  await sims?.close();
  await webhook?.close();
  await redis?.stop();
}

describe.each(TOPOLOGIES)('alerts across the fleet (two instances, one %s Redis)', (topology) => {
  beforeAll(() => startFleet(topology), 60_000);
  afterAll(() => stopFleet());

  it('a breaker both instances see open makes one alert, and its closing one recovery', async () => {
    const [a, b] = instances;
    const permit = await a!.gateway.breakers.permit('ups-main');
    await a!.gateway.breakers.report('ups-main', permit, 'auth_failure', 'ERR_TOKEN_INVALID_CLIENT');
    await vi.waitFor(() => expect(b!.gateway.breakers.state('ups-main').state).toBe('open'));
    await idle();
    await evaluateBoth();
    expect(alerts('breaker_open', 'ups-main')).toEqual([
      expect.objectContaining({ account: 'ups-main', severity: 'critical', resolved: false }),
    ]);

    await new Promise((resolve) => setTimeout(resolve, RESET_MS + 20));
    const trial = await b!.gateway.breakers.permit('ups-main');
    expect(trial.kind).toBe('trial');
    await b!.gateway.breakers.report('ups-main', trial, 'success');
    await vi.waitFor(() => expect(a!.gateway.breakers.state('ups-main').state).toBe('closed'));
    await idle();
    await evaluateBoth();
    const sent = alerts('breaker_open', 'ups-main');
    expect(sent.map((alert) => alert.resolved)).toEqual([false, true]);
    expect(sent[1]!.incidentId).toBe(sent[0]!.incidentId);
  });

  it('a periodic rule evaluated by both instances at once alerts once', async () => {
    await evaluateBoth();
    await evaluateBoth();
    expect(alerts('secret_expiring')).toEqual([
      expect.objectContaining({
        account: 'ups-expiring',
        title: 'ups-expiring: client secret expires in 2 days',
      }),
    ]);
  });

  it('a network is new once for the whole fleet, and the first one is never alerted', async () => {
    const [a, b] = instances;
    a!.alerter.clientKeyUsed('shop', '192.0.2.10');
    await idle();
    b!.alerter.clientKeyUsed('shop', '192.0.2.77');
    await idle();
    expect(alerts('client_new_network')).toEqual([]);
    // Both instances meet the same new network at the same moment.
    a!.alerter.clientKeyUsed('shop', '198.51.100.5');
    b!.alerter.clientKeyUsed('shop', '198.51.100.6');
    await idle();
    a!.alerter.clientKeyUsed('shop', '198.51.100.9');
    await idle();
    expect(alerts('client_new_network')).toEqual([
      expect.objectContaining({ client: 'shop', text: expect.stringContaining('198.51.100.0/24') }),
    ]);
  });

  it('failover through real shipments starts once and ends once, whichever instance made the labels', async () => {
    const ship = async (base: string) => {
      const answer = await postShipment(base, CLIENT_KEY, { accounts: ['ups-failover', 'fedex-main'] });
      expect(answer.status).toBe(201);
      return (answer.body as { attempts: Attempt[] }).attempts;
    };
    // UPS's token endpoint answers 200 with an error: ups-failover cannot get a token.
    await ups.setFaults({ errorInSuccessBody: true });
    const first = await ship(instances[0]!.base);
    expect(first.map((attempt) => [attempt.account, attempt.outcome])).toEqual([
      ['ups-failover', 'token_unavailable'],
      ['fedex-main', 'created'],
    ]);
    // What ShipmentService would call on each instance after a created shipment.
    instances[0]!.alerter.shipmentCreated(first);
    // The breaker opened on instance 0; the second shipment is sent once instance 1 has heard.
    await eventually(() => instances[1]!.gateway.breakers.state('ups-failover').state === 'open', {
      what: 'instance 1 to see the breaker open',
    });
    const second = await ship(instances[1]!.base);
    expect(second[0]).toMatchObject({ account: 'ups-failover', outcome: 'breaker_open' });
    instances[1]!.alerter.shipmentCreated(second);
    await idle();
    expect(alerts('failover')).toEqual([
      expect.objectContaining({
        account: 'ups-failover',
        title: 'Shipments fail over from ups-failover to fedex-main',
        resolved: false,
      }),
    ]);

    await ups.resetFaults();
    await new Promise((resolve) => setTimeout(resolve, RESET_MS + 20));
    const back = await ship(instances[1]!.base);
    expect(back).toEqual([{ account: 'ups-failover', outcome: 'created' }]);
    instances[1]!.alerter.shipmentCreated(back);
    instances[0]!.alerter.shipmentCreated(back);
    await idle();
    const sent = alerts('failover');
    expect(sent.map((alert) => alert.resolved)).toEqual([false, true]);
    expect(sent[1]).toMatchObject({
      title: 'Shipments land on ups-failover again',
      incidentId: sent[0]!.incidentId,
    });
  });
});
