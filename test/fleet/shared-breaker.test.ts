/**
 * @module test/fleet/shared-breaker.test
 * Three gateway processes sharing one Redis, UPS first and FedEx next for every shipment. An
 * authentication outage at UPS (every token rejected, the token endpoint answering 200 with
 * invalid_client) opens UPS's breaker on the instance that sees it; the other two must treat it
 * as open within one second (they fail over without calling UPS at all). After UPS recovers and
 * the reset time passes, exactly one trial in the whole fleet goes to UPS, and its success
 * closes the breaker on every instance. On one redis-server and on a three-master Redis Cluster.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { postShipment } from '../support/gateway-client.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';
import { fedexMainAccount, upsMainAccount } from '../support/shipping-accounts.js';

const CLIENT_KEY = `fleet-breaker-key-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'fleet-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'fleet-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, UPS_CLIENT.clientSecret, FEDEX_CLIENT.clientSecret);

/** Longer than the token engine's first cooldown (2 s), so the trial meets a token endpoint it may call. */
const RESET_TIMEOUT_MS = 3_000;

let redis: TestTopology;
let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let instances: GatewayProcess[] = [];

async function ship(
  instance: GatewayProcess,
): Promise<{ status: number; account: string | null; body: Record<string, unknown> }> {
  const { status, account, body } = await postShipment(instance, CLIENT_KEY);
  return { status, account, body };
}

async function breakerState(instance: GatewayProcess): Promise<string> {
  const response = await fetch(`${instance.url}/v1/accounts`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  const body = (await response.json()) as { accounts: { account: string; breaker: { state: string } }[] };
  return body.accounts.find((account) => account.account === 'ups-main')!.breaker.state;
}

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

async function startFleet(topology: (typeof TOPOLOGIES)[number]): Promise<void> {
  redis = await startTopology(topology);
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  const config = writeConfig(
    JSON.stringify({
      redis: redis.endpoint,
      log: { level: 'info' },
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: RESET_TIMEOUT_MS },
      clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['ups-main', 'fedex-main'] }],
      accounts: [upsMainAccount(ups, UPS_CLIENT), fedexMainAccount(fedex, FEDEX_CLIENT)],
    }),
  );
  instances = await Promise.all([1, 2, 3].map(() => startGatewayProcess(config)));
}

async function stopFleet(): Promise<void> {
  registerIssuedTokens(ups, fedex);
  await Promise.all(instances.map((instance) => instance.stop()));
  await ups?.close();
  await fedex?.close();
  await redis?.stop();
}

describe.each(TOPOLOGIES)('auth breaker shared by three gateway processes on %s Redis', (topology) => {
  beforeAll(() => startFleet(topology), 60_000);
  afterAll(() => stopFleet());

  it('an auth outage at UPS opens the breaker everywhere within a second; one trial closes it everywhere', async () => {
    const [first, second, third] = instances as [GatewayProcess, GatewayProcess, GatewayProcess];
    // Warm: every instance ships at UPS.
    for (const instance of instances) expect((await ship(instance)).account).toBe('ups-main');
    expect(ups.stats().labelsCreated).toBe(3);

    await ups.setFaults({ prematureExpirySeconds: 0, errorInSuccessBody: true });
    let opened = false;
    for (let i = 0; i < 10 && !opened; i += 1) {
      const answer = await ship(first);
      expect(answer.account).toBe('fedex-main');
      opened = (await breakerState(first)) === 'open';
    }
    expect(opened).toBe(true);
    const openedAt = Date.now();
    const upsCallsBefore = ups.stats().apiRequests + ups.stats().tokenRequests;

    const seen = await Promise.all(
      [second, third].map((instance) => within(1_000, async () => (await breakerState(instance)) === 'open')),
    );
    expect(Date.now() - openedAt).toBeLessThan(1_000 + 200);
    expect(Math.max(...seen)).toBeLessThan(1_000);
    for (const instance of [second, third]) {
      const answer = await ship(instance);
      expect(answer.account).toBe('fedex-main');
      expect(answer.body['attempts']).toMatchObject([
        { account: 'ups-main', outcome: 'breaker_open' },
        { account: 'fedex-main', outcome: 'created' },
      ]);
    }
    // Failed over without a single call to UPS.
    expect(ups.stats().apiRequests + ups.stats().tokenRequests).toBe(upsCallsBefore);

    // UPS recovers, slowly: the trial is still running when every call of the burst has asked.
    await ups.resetFaults();
    await ups.setFaults({ apiLatencyMs: 1_500 });
    await sleep(RESET_TIMEOUT_MS + 200);
    const labelsBefore = ups.stats().labelsCreated;
    const burst = await Promise.all(
      instances.flatMap((instance) => [ship(instance), ship(instance), ship(instance)]),
    );
    expect(burst.every((answer) => answer.status === 201)).toBe(true);
    // One trial for the whole fleet; the rest of the burst went to FedEx while it ran.
    expect(burst.filter((answer) => answer.account === 'ups-main')).toHaveLength(1);
    expect(ups.stats().labelsCreated).toBe(labelsBefore + 1);

    await ups.setFaults({ apiLatencyMs: 0 });
    await Promise.all(
      instances.map((instance) => within(1_000, async () => (await breakerState(instance)) === 'closed')),
    );
    for (const instance of instances) expect((await ship(instance)).account).toBe('ups-main');
  }, 60_000);
});
