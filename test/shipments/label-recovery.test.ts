/**
 * @module test/shipments/label-recovery.test
 * When UPS Label Recovery fails after Track by Reference found the label (a stand-in in front of
 * the UPS simulator answers the recovery 500): the label exists, so the shipment still becomes
 * `created`, with its tracking numbers and no images, and `resolution.detail` says the images
 * could not be fetched; the client's retry with the same Idempotency-Key gets that shipment, and
 * no second label is made. (The found-with-images path: test/shipments/in-doubt.test.ts.)
 */
import { randomUUID } from 'node:crypto';

import { expect, it } from 'vitest';

import { UPS_PATHS } from '../../carriers/ups/simulator.js';
import { startInterposer } from '../support/forwarding-tap.js';
import { postShipment, shipmentReaches } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import type { RecordingServer } from '../support/recording-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { useSimsGateway } from '../support/shipping-accounts.js';

const SHOP_KEY = `label-recovery-${randomUUID()}`;
registerSecrets(SHOP_KEY);

let front: RecordingServer;

const rig = useSimsGateway('label-recovery', SHOP_KEY, async (sims, closeAfter) => {
  front = closeAfter(
    await startInterposer(sims.ups.url, (req) =>
      req.url.startsWith('/api/labels/')
        ? // Shipping.yaml ErrorResponse shape.
          {
            status: 500,
            body: { response: { errors: [{ code: '20001', message: 'General process failure' }] } },
          }
        : undefined,
    ),
  );
  return {
    accounts: [
      sims.upsMain({
        urls: { token: `${sims.ups.url}${UPS_PATHS.token}`, api: front.url },
        timeouts: { apiMs: 2_000 },
      }),
    ],
    config: { shipments: { resolution: { intervalSeconds: 1, maxAttempts: 2, maxMinutes: 60 } } },
  };
});

it('found but its images not recovered: created without labels, saying why; the retry gets it', async () => {
  const key = randomUUID();
  const shipment = { ...SHIPMENT, reference: `lr-${randomUUID().slice(0, 8)}` };
  await rig.sims.ups.setFaults({ shipmentFault: { kind: 'create-then-5xx', count: 1 } });
  const lost = await postShipment(rig.gateway, SHOP_KEY, {
    shipment,
    accounts: ['ups-main'],
    idempotencyKey: key,
  });
  expect(lost.status).toBe(502);
  const id = lost.body['shipmentId'] as string;

  const found = await shipmentReaches(rig.gateway, SHOP_KEY, id, 'created');
  const [made] = rig.sims.ups.ledger.byReference(shipment.reference);
  expect(found.body).toMatchObject({
    trackingNumbers: made!.trackingNumbers,
    labels: [],
    resolution: { outcome: 'created', method: 'reference', detail: expect.stringMatching(/label recovery/) },
  });
  // The recovery was asked for, and failed at the stand-in.
  expect(front.requests.filter((req) => req.url.startsWith('/api/labels/'))).toHaveLength(1);

  const retry = await postShipment(rig.gateway, SHOP_KEY, {
    shipment,
    accounts: ['ups-main'],
    idempotencyKey: key,
  });
  expect(retry.status).toBe(201);
  expect(retry.body).toMatchObject({ id, trackingNumbers: made!.trackingNumbers, labels: [] });
  expect(rig.sims.ups.stats().labelsCreated).toBe(1);
});
