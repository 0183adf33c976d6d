/**
 * @module test/shipments/in-doubt.test
 * In-doubt resolution with the simulators and two gateway instances on one real redis-server.
 * The carrier makes the label and the answer is lost (`create-then-5xx`):
 * - UPS: the resolver finds it by reference (Track by Reference Number) and the shipment becomes
 *   `created`; the client's retry with the same Idempotency-Key gets that label: 1 label made,
 *   0 duplicates, one lookup for the fleet;
 * - USPS: the resolver resends with the same X-Idempotency-Key and the carrier returns its label;
 * - the carrier failed before making one (`server_error`): proven absent, `failed`, and the retry
 *   ships anew;
 * - nothing to look by (no reference): given up after the bounded attempts, left `unknown` with
 *   the account and reference for an operator, and the `shipment_in_doubt` alert fires.
 * With `failover: "after-resolution"` the request itself resolves first: a label found is returned
 * as it is, a proven absence goes on to the next account. Without it, never another account.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startUspsSimulator, type UspsSimulatorHandle } from '../../carriers/usps/simulator.js';
import { run } from '../../src/cli/run.js';
import { eventually } from '../support/eventually.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import {
  startShippingSimulators,
  type ShippingSimulators,
  uspsAccount,
} from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const SHOP_KEY = `in-doubt-shop-${randomUUID()}`;
const ADMIN_KEY = `in-doubt-admin-${randomUUID()}`;
const USPS_CLIENT = { clientId: 'in-doubt-usps', clientSecret: `usps-secret-${randomUUID()}` };
registerSecrets(SHOP_KEY, ADMIN_KEY, USPS_CLIENT.clientSecret);

let sims: ShippingSimulators;
let usps: UspsSimulatorHandle;
let redis: TestRedis;
let hook: RecordingServer;
const fleet: TestGateway[] = [];

beforeAll(async () => {
  sims = await startShippingSimulators('in-doubt');
  usps = await startUspsSimulator({ clients: [USPS_CLIENT] });
  redis = await TestRedis.start();
  hook = await startRecordingServer(() => ({ status: 204 }));
  for (let i = 0; i < 2; i += 1) {
    fleet.push(
      await startTestGateway({
        name: `in-doubt-${i}`,
        redis: { url: redis.url },
        clientKey: SHOP_KEY,
        admins: [{ id: 'oncall-ana', apiKey: ADMIN_KEY }],
        accounts: [
          sims.upsMain({ timeouts: { apiMs: 2_000 } }),
          sims.fedexMain({ timeouts: { apiMs: 2_000 } }),
          uspsAccount('usps-main', usps, USPS_CLIENT, { shipping: {} }),
        ],
        config: {
          shipments: { resolution: { intervalSeconds: 1, maxAttempts: 2, maxMinutes: 60 } },
          alerts: { sinks: [{ kind: 'json', url: `${hook.url}/alerts` }], cooldownSeconds: 600 },
        },
      }),
    );
  }
});

afterAll(async () => {
  await closeTestGatewaysAnd(redis);
  registerIssuedTokens(usps);
  await Promise.all([sims.close(), usps.close(), hook.close()]);
});

beforeEach(async () => {
  await sims.reset();
  await usps.resetFaults();
  usps.resetStats();
});

const record = (id: string) => callGateway(fleet[1]!, `/v1/shipments/${id}`, { key: SHOP_KEY });
const settled = (id: string, status: string) =>
  eventually(
    async () => {
      const got = await record(id);
      expect(got.body['status']).toBe(status);
      return got;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `shipment ${id} ${status}` },
  );

/** A shipment to ups-main (unless the request names other accounts) while UPS's next answer is faulted with `kind`. */
async function upsFaulted(
  kind: 'create-then-5xx' | 'server_error',
  request: NonNullable<Parameters<typeof postShipment>[2]>,
) {
  await sims.ups.setFaults({ shipmentFault: { kind, count: 1 } });
  return postShipment(fleet[0]!, SHOP_KEY, { accounts: ['ups-main'], ...request });
}

describe('in-doubt resolution in the background', () => {
  it('UPS: finds the label by reference and recovers its image; the retry gets it; one label, one look for the fleet', async () => {
    const key = randomUUID();
    const shipment = { ...SHIPMENT, reference: `doubt-${randomUUID().slice(0, 8)}` };
    const lost = await upsFaulted('create-then-5xx', { shipment, idempotencyKey: key });
    expect(lost.status).toBe(502);
    const id = lost.body['shipmentId'] as string;
    const callsAfterLabel = sims.ups.stats().apiRequests;

    const found = await settled(id, 'created');
    expect(found.body).toMatchObject({
      resolution: { outcome: 'created', by: 'resolver', method: 'reference' },
    });
    const [made, ...others] = sims.ups.ledger.byReference(shipment.reference);
    expect(others).toEqual([]);
    expect(found.body['trackingNumbers']).toEqual(made!.trackingNumbers);
    // The label image the carrier made, fetched by Label Recovery (Shipping.yaml LabelRecovery).
    expect(made!.labels).toHaveLength(1);
    expect(found.body['labels']).toEqual(made!.labels);
    // Both instances run the resolver; the lease and the idempotency claim make it one look for
    // the fleet: one Track by Reference and one Label Recovery.
    expect(sims.ups.stats().apiRequests - callsAfterLabel).toBe(2);

    const retry = await postShipment(fleet[1]!, SHOP_KEY, {
      shipment,
      accounts: ['ups-main'],
      idempotencyKey: key,
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ id, trackingNumbers: made!.trackingNumbers, labels: made!.labels });
    expect(sims.ups.stats().labelsCreated).toBe(1);
    expect(sims.ups.ledger.all).toHaveLength(1);
  });

  it('USPS: resends with the same X-Idempotency-Key and keeps the one label; the retry gets it', async () => {
    const key = randomUUID();
    await usps.setFaults({ shipmentFault: { kind: 'create-then-5xx', count: 1 } });
    const lost = await postShipment(fleet[0]!, SHOP_KEY, { accounts: ['usps-main'], idempotencyKey: key });
    expect(lost.status).toBe(502);
    const id = lost.body['shipmentId'] as string;

    const found = await settled(id, 'created');
    expect(found.body).toMatchObject({ resolution: { outcome: 'created', method: 'resend' } });
    expect((found.body['labels'] as unknown[]).length).toBe(1);

    const retry = await postShipment(fleet[1]!, SHOP_KEY, { accounts: ['usps-main'], idempotencyKey: key });
    expect(retry.status).toBe(201);
    expect(retry.body['trackingNumbers']).toEqual(found.body['trackingNumbers']);
    expect(retry.body['labels']).toEqual(found.body['labels']);
    expect(usps.stats().labelsCreated).toBe(1);
  });

  it('proven absent: the shipment fails and the retry with the same key ships anew', async () => {
    const key = randomUUID();
    const shipment = { ...SHIPMENT, reference: `absent-${randomUUID().slice(0, 8)}` };
    const lost = await upsFaulted('server_error', { shipment, idempotencyKey: key });
    expect(lost.status).toBe(502);
    const failed = await settled(lost.body['shipmentId'] as string, 'failed');
    expect(failed.body).toMatchObject({ resolution: { outcome: 'failed' }, labels: [] });
    expect(sims.ups.stats().labelsCreated).toBe(0);

    const retry = await postShipment(fleet[1]!, SHOP_KEY, {
      shipment,
      accounts: ['ups-main'],
      idempotencyKey: key,
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(sims.ups.stats().labelsCreated).toBe(1);
  });

  it('not resolvable: stays unknown with account and reference to check, and the alert fires', async () => {
    const unreferenced: Record<string, unknown> = { ...SHIPMENT };
    delete unreferenced['reference'];
    const lost = await upsFaulted('create-then-5xx', { shipment: unreferenced });
    const id = lost.body['shipmentId'] as string;
    const given = await eventually(
      async () => {
        const got = await record(id);
        expect(got.body['resolution']).toMatchObject({ outcome: 'unresolved' });
        return got;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `shipment ${id} given up` },
    );
    expect(given.body['status']).toBe('unknown');
    expect(String((given.body['resolution'] as { detail: string }).detail)).toContain('ups-main');
    const alerts = () => hook.requests.map((req) => JSON.parse(req.body) as Record<string, unknown>);
    await eventually(() => alerts().some((alert) => alert['rule'] === 'shipment_in_doubt'), {
      what: () => `a shipment_in_doubt alert: ${JSON.stringify(alerts())}`,
    });
    const alert = alerts().find((a) => a['rule'] === 'shipment_in_doubt')!;
    expect(alert).toMatchObject({
      account: 'ups-main',
      runbook: expect.stringContaining('shipment-in-doubt'),
    });
    expect(String(alert['text'])).toContain(id);
    expect(sims.ups.stats().labelsCreated).toBe(1);

    // The operator finds it at the carrier and settles it (audited); a second settle is refused.
    const [made] = sims.ups.ledger.all.slice(-1);
    let out = '';
    const status = await run(
      [
        'shipments',
        'resolve',
        id,
        '--created',
        '--tracking',
        made!.trackingNumbers.join(','),
        '--reason',
        'INC-7 found',
      ],
      { GATEWAY_URL: fleet[0]!.url, GATEWAY_ADMIN_KEY: ADMIN_KEY },
      {
        stdout: { write: (text: string) => (out += text) },
        stderr: { write: (text: string) => (out += text) },
      },
    );
    expect(status, out).toBe(0);
    expect(out).toContain(`${id}: created`);
    const settledByHand = await record(id);
    expect(settledByHand.body).toMatchObject({
      status: 'created',
      trackingNumbers: made!.trackingNumbers,
      resolution: { outcome: 'created', by: 'admin:oncall-ana', method: 'manual' },
    });
    const audit = await callGateway(fleet[1]!, '/v1/admin/audit?action=shipment_resolve', { key: ADMIN_KEY });
    expect(audit.body['entries']).toEqual([
      expect.objectContaining({ admin: 'oncall-ana', reason: 'INC-7 found', result: { ok: true } }),
    ]);
    const again = await run(
      ['shipments', 'resolve', id, '--failed', '--reason', 'twice'],
      { GATEWAY_URL: fleet[0]!.url, GATEWAY_ADMIN_KEY: ADMIN_KEY },
      { stdout: { write: () => undefined }, stderr: { write: () => undefined } },
    );
    expect(again).toBe(1);
  });
});

describe('failover: "after-resolution"', () => {
  /** A shipment for ups-main then fedex-main (with `failover` when given), UPS's first answer faulted with `kind`. */
  async function upsThenFedex(kind: 'create-then-5xx' | 'server_error', failover?: string) {
    const shipment = {
      ...SHIPMENT,
      reference: `far-${randomUUID().slice(0, 8)}`,
      ...(failover ? { failover } : {}),
    };
    return upsFaulted(kind, { shipment, accounts: ['ups-main', 'fedex-main'] });
  }

  it('a label found at the first account is returned as it is; no other account is tried', async () => {
    const answer = await upsThenFedex('create-then-5xx', 'after-resolution');
    expect(answer.status).toBe(201);
    expect(answer.account).toBe('ups-main');
    expect(sims.ups.stats().labelsCreated).toBe(1);
    expect(sims.fedex.stats().labelsCreated).toBe(0);
  });

  it('a proven absence goes on to the next account', async () => {
    const answer = await upsThenFedex('server_error', 'after-resolution');
    expect(answer.status).toBe(201);
    expect(answer.account).toBe('fedex-main');
    expect(answer.failoverFrom).toBe('ups-main');
    expect(answer.body['attempts']).toEqual([
      expect.objectContaining({
        account: 'ups-main',
        failure: expect.objectContaining({ code: 'resolved_absent' }),
      }),
      { account: 'fedex-main', outcome: 'created' },
    ]);
    expect(sims.ups.stats().labelsCreated + sims.fedex.stats().labelsCreated).toBe(1);
  });

  it('without it, an unknown outcome never goes to another account', async () => {
    const answer = await upsThenFedex('server_error');
    expect(answer.status).toBe(502);
    expect(sims.fedex.stats().apiRequests).toBe(0);
  });
});
