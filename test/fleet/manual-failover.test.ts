/**
 * @module test/fleet/manual-failover.test
 * Runbook-driven manual failover across a fleet: three gateway processes on one Redis. An
 * operator fails UPS over to FedEx through ONE instance; every instance applies it within
 * 100 ms (each logs `override applied` with the version, and the log's timestamps are compared
 * with the moment the command was sent) and ships to FedEx. A fourth instance started while the
 * failover stands starts with it. A command decided on an older version never overwrites a newer
 * one (412), while concurrent commands on different parts both land. The audit stream is one for
 * the fleet. All of it on one redis-server and on a three-master Redis Cluster.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { postShipment, type AdminAnswer } from '../support/gateway-client.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';

const CLIENT_KEY = `fleet-failover-client-${randomUUID()}`;
const ADMIN_KEY = `fleet-failover-admin-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'fleet-fo-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'fleet-fo-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, ADMIN_KEY, UPS_CLIENT.clientSecret, FEDEX_CLIENT.clientSecret);

let redis: TestTopology;
let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let configFile: string;
const instances: GatewayProcess[] = [];

async function ship(instance: GatewayProcess) {
  const { status, account } = await postShipment(instance, CLIENT_KEY);
  return { status, account };
}

async function admin(instance: GatewayProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as AdminAnswer };
}

/** When (epoch ms, the instance's own log clock) the instance applied `version` of `account`'s override. */
function appliedAt(instance: GatewayProcess, account: string, version: number): number | undefined {
  for (const line of instance.log()) {
    if (!line.includes('override applied')) continue;
    const entry = JSON.parse(line) as { account?: string; version?: number; time?: number };
    if (entry.account === account && entry.version === version) return entry.time;
  }
  return undefined;
}

async function waitFor<T>(read: () => T | undefined, withinMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(10);
  }
}

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
});

async function startFleet(topology: (typeof TOPOLOGIES)[number]): Promise<void> {
  redis = await startTopology(topology);
  configFile = writeConfig(`
listen: { port: 0, host: '127.0.0.1' }
${redis.yaml('fleet-failover:')}
log: { level: info }
admins: [{ id: oncall-bob, apiKey: '${ADMIN_KEY}' }]
clients:
  - { id: shop, apiKey: '${CLIENT_KEY}', accounts: [ups-main, fedex-main] }
accounts:
  - id: ups-main
    carrier: ups
    urls: { token: '${ups.url}/security/v1/oauth/token', api: '${ups.url}' }
    credentials: { clientId: ${UPS_CLIENT.clientId}, clientSecret: '${UPS_CLIENT.clientSecret}' }
    shipping: { shipperNumber: A1B2C3 }
  - id: fedex-main
    carrier: fedex
    urls: { token: '${fedex.url}/oauth/token', api: '${fedex.url}' }
    credentials: { clientId: ${FEDEX_CLIENT.clientId}, clientSecret: '${FEDEX_CLIENT.clientSecret}' }
    shipping: { accountNumber: '740561073' }
`);
  instances.push(...(await Promise.all([1, 2, 3].map(() => startGatewayProcess(configFile)))));
}

afterAll(async () => {
  registerIssuedTokens(ups, fedex);
  await ups?.close();
  await fedex?.close();
});

describe.each(TOPOLOGIES)('manual failover across the fleet on %s Redis', (topology) => {
  beforeAll(() => startFleet(topology), 60_000);

  afterAll(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.stop()));
    await redis?.stop();
  });

  it('a failover sent to one instance is applied by all three within 100 ms, and all three ship to FedEx', async () => {
    for (const instance of instances) expect((await ship(instance)).account).toBe('ups-main');

    const lags: number[][] = [];
    for (let round = 0; round < 3; round += 1) {
      const sentAt = Date.now();
      const set = await admin(instances[round]!, 'POST', '/v1/admin/accounts/ups-main/failover', {
        to: 'fedex-main',
        reason: `INC-7 round ${round}`,
      });
      expect(set.status).toBe(200);
      const version = set.body.version! as number;
      const applied = await Promise.all(
        instances.map((instance) =>
          waitFor(() => appliedAt(instance, 'ups-main', version), 2_000, `version ${version} applied`),
        ),
      );
      lags.push(applied.map((at) => at - sentAt));
      for (const instance of instances) expect((await ship(instance)).account).toBe('fedex-main');

      const restored = await admin(
        instances[(round + 1) % 3]!,
        'DELETE',
        '/v1/admin/accounts/ups-main/failover',
      );
      const restoredVersion = restored.body.version! as number;
      await Promise.all(
        instances.map((instance) =>
          waitFor(() => appliedAt(instance, 'ups-main', restoredVersion), 2_000, 'restore applied'),
        ),
      );
      for (const instance of instances) expect((await ship(instance)).account).toBe('ups-main');
    }
    // Every instance, every round: from the moment the command was sent to the moment it applied.
    for (const round of lags) for (const lag of round) expect(lag).toBeLessThanOrEqual(100);
    console.info(`manual failover applied after (ms, per round, per instance): ${JSON.stringify(lags)}`);
  }, 60_000);

  it('an instance started while a failover stands starts with it', async () => {
    const set = await admin(instances[0]!, 'POST', '/v1/admin/accounts/ups-main/failover', {
      to: 'fedex-main',
      reason: 'INC-8',
    });
    expect(set.status).toBe(200);
    const late = await startGatewayProcess(configFile);
    instances.push(late);
    // It loaded the records before it listened, so its very first shipment follows the override.
    const lines = late.log();
    const appliedLine = lines.findIndex(
      (line) => line.includes('override applied') && line.includes(`"version":${set.body.version!}`),
    );
    const listeningLine = lines.findIndex((line) => line.includes('carrier gateway listening'));
    expect(appliedLine).toBeGreaterThanOrEqual(0);
    expect(appliedLine).toBeLessThan(listeningLine);
    expect((await ship(late)).account).toBe('fedex-main');
    const health = await admin(late, 'GET', '/v1/health/carriers/ups-main');
    expect(health.body.override!).toMatchObject({ failover: { to: 'fedex-main' } });
    await admin(late, 'DELETE', '/v1/admin/accounts/ups-main/failover');
  }, 30_000);

  it('an older command never overwrites a newer one; changes to different parts both land', async () => {
    const seen = await admin(instances[0]!, 'GET', '/v1/health/carriers/ups-main');
    expect(seen.status).toBe(200);
    // Two operators at once on two instances: one drains, one forces the breaker open.
    const [drain, breaker] = await Promise.all([
      admin(instances[1]!, 'POST', '/v1/admin/accounts/ups-main/drain', { reason: 'operator one' }),
      admin(instances[2]!, 'POST', '/v1/admin/accounts/ups-main/breaker', {
        mode: 'open',
        reason: 'operator two',
      }),
    ]);
    expect([drain.status, breaker.status]).toEqual([200, 200]);
    const newest = Math.max(drain.body.version!, breaker.body.version!);
    await Promise.all(
      instances.map((instance) =>
        waitFor(() => appliedAt(instance, 'ups-main', newest), 2_000, 'both applied'),
      ),
    );
    const after = await admin(instances[0]!, 'GET', '/v1/health/carriers/ups-main');
    expect(after.body.override!).toMatchObject({ drained: true, breaker: 'open' });

    // A third operator acts on the version from before both: refused, nothing changes.
    const stale = await admin(instances[0]!, 'DELETE', '/v1/admin/accounts/ups-main/drain', {
      ifVersion: Math.min(drain.body.version!, breaker.body.version!) - 1,
    });
    expect(stale).toMatchObject({ status: 412, body: { code: 'ERR_OVERRIDE_VERSION_CONFLICT' } });
    for (const instance of instances) {
      const view = await admin(instance, 'GET', '/v1/health/carriers/ups-main');
      expect(view.body.override!).toMatchObject({ drained: true, breaker: 'open' });
    }
    await admin(instances[0]!, 'DELETE', '/v1/admin/accounts/ups-main/drain', { ifVersion: newest });
    await admin(instances[0]!, 'POST', '/v1/admin/accounts/ups-main/breaker', {
      mode: 'auto',
      reason: 'done',
    });
  }, 30_000);

  it('the audit log is one stream for the fleet: actions sent to any instance are listed by every one', async () => {
    const lists = await Promise.all(
      instances.map((instance) => admin(instance, 'GET', '/v1/admin/audit?account=ups-main&limit=1000')),
    );
    const ids = lists.map((list) => list.body.entries!.map((entry: { id: string }) => entry.id));
    for (const other of ids.slice(1)) expect(other).toEqual(ids[0]);
    const entries = lists[0]!.body.entries!;
    expect(entries.filter((entry) => entry.action === 'failover' && entry.result.ok)).toHaveLength(4);
    expect(entries.find((entry) => entry.result.code === 'ERR_OVERRIDE_VERSION_CONFLICT')).toMatchObject({
      admin: 'oncall-bob',
      action: 'undrain',
    });
  });
});
