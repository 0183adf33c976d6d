/**
 * @module test/shipments/label-recovery.test
 * When UPS Label Recovery fails after Track by Reference found the label (a stand-in in front of
 * the UPS simulator answers the recovery 500): the label exists, so the shipment still becomes
 * `created`, with its tracking numbers and no images, and `resolution.detail` says the images
 * could not be fetched; the client's retry with the same Idempotency-Key gets that shipment, and
 * no second label is made. (The found-with-images path: test/shipments/in-doubt.test.ts.)
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { UPS_PATHS } from '../../carriers/ups/simulator.js';
import { eventually } from '../support/eventually.js';
import { startInterposer } from '../support/forwarding-tap.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import type { RecordingServer } from '../support/recording-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const SHOP_KEY = `label-recovery-${randomUUID()}`;
registerSecrets(SHOP_KEY);

let sims: ShippingSimulators;
let front: RecordingServer;
let gateway: TestGateway;

beforeAll(async () => {
  sims = await startShippingSimulators('label-recovery');
  front = await startInterposer(sims.ups.url, (req) =>
    req.url.startsWith('/api/labels/')
      ? // Shipping.yaml ErrorResponse shape.
        {
          status: 500,
          body: { response: { errors: [{ code: '20001', message: 'General process failure' }] } },
        }
      : undefined,
  );
  gateway = await startTestGateway({
    name: 'label-recovery',
    clientKey: SHOP_KEY,
    accounts: [
      sims.upsMain({
        urls: { token: `${sims.ups.url}${UPS_PATHS.token}`, api: front.url },
        timeouts: { apiMs: 2_000 },
      }),
    ],
    config: { shipments: { resolution: { intervalSeconds: 1, maxAttempts: 2, maxMinutes: 60 } } },
  });
});

afterAll(async () => {
  await closeTestGateways();
  await Promise.all([sims.close(), front.close()]);
});

it('found but its images not recovered: created without labels, saying why; the retry gets it', async () => {
  const key = randomUUID();
  const shipment = { ...SHIPMENT, reference: `lr-${randomUUID().slice(0, 8)}` };
  await sims.ups.setFaults({ shipmentFault: { kind: 'create-then-5xx', count: 1 } });
  const lost = await postShipment(gateway, SHOP_KEY, {
    shipment,
    accounts: ['ups-main'],
    idempotencyKey: key,
  });
  expect(lost.status).toBe(502);
  const id = lost.body['shipmentId'] as string;

  const found = await eventually(
    async () => {
      const got = await callGateway(gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
      expect(got.body['status']).toBe('created');
      return got;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `shipment ${id} created` },
  );
  const [made] = sims.ups.ledger.byReference(shipment.reference);
  expect(found.body).toMatchObject({
    trackingNumbers: made!.trackingNumbers,
    labels: [],
    resolution: { outcome: 'created', method: 'reference', detail: expect.stringMatching(/label recovery/) },
  });
  // The recovery was asked for, and failed at the stand-in.
  expect(front.requests.filter((req) => req.url.startsWith('/api/labels/'))).toHaveLength(1);

  const retry = await postShipment(gateway, SHOP_KEY, {
    shipment,
    accounts: ['ups-main'],
    idempotencyKey: key,
  });
  expect(retry.status).toBe(201);
  expect(retry.body).toMatchObject({ id, trackingNumbers: made!.trackingNumbers, labels: [] });
  expect(sims.ups.stats().labelsCreated).toBe(1);
});
