/**
 * @module test/shipments/shipment-records.test
 * Shipment records behind `GET /v1/shipments/{id}` and `GET /v1/shipments?reference=`, on a real
 * redis-server with the UPS simulator: a label is found by id and by reference with its labels;
 * another client's id answers the same 404 as an id that never existed; an answer lost after the
 * label was made (`create-then-5xx`) leaves a record `unknown`; labels kept for zero days answer
 * `labelsExpired: true` while the record stays.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { callGateway, postShipment } from '../support/gateway-client.js';
import { SHIPMENT } from '../support/shipments.js';
import { useShopGateway } from '../support/shipping-accounts.js';
import { startTestGateway } from '../support/test-gateway.js';

const rig = useShopGateway('records', (sims) => [sims.upsMain({ timeouts: { apiMs: 2_000 } })]);
const { shopKey: SHOP_KEY, otherKey: OTHER_KEY } = rig;

describe('GET /v1/shipments/{id}', () => {
  it('answers a created shipment with its labels, and the same 404 for unknown and foreign ids', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, {
      shipment: { ...SHIPMENT, reference: 'rec-1' },
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;

    const own = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      id,
      status: 'created',
      account: 'ups-main',
      carrier: 'ups',
      reference: 'rec-1',
      trackingNumbers: created.body['trackingNumbers'],
      labels: created.body['labels'],
      attempts: [{ account: 'ups-main', outcome: 'created' }],
    });

    const foreign = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: OTHER_KEY });
    const unknown = await callGateway(rig.gateway, `/v1/shipments/shp_${'0'.repeat(32)}`, { key: OTHER_KEY });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect(foreign.body['code']).toBe('ERR_SHIPMENT_NOT_FOUND');
    // Nothing tells a foreign id from one that never existed.
    expect({ ...foreign.body, detail: undefined, instance: undefined }).toEqual({
      ...unknown.body,
      detail: undefined,
      instance: undefined,
    });
  });

  it('finds a client’s shipments by reference, oldest first, and only its own', async () => {
    const reference = `ref-${randomUUID().slice(0, 8)}`;
    const first = await postShipment(rig.gateway, SHOP_KEY, { shipment: { ...SHIPMENT, reference } });
    const second = await postShipment(rig.gateway, SHOP_KEY, { shipment: { ...SHIPMENT, reference } });
    await postShipment(rig.gateway, OTHER_KEY, { shipment: { ...SHIPMENT, reference } });

    const found = await callGateway<{ shipments: { id: string }[] }>(
      rig.gateway,
      `/v1/shipments?reference=${encodeURIComponent(reference)}`,
      { key: SHOP_KEY },
    );
    expect(found.status).toBe(200);
    expect(found.body.shipments.map((s) => s.id)).toEqual([first.body['id'], second.body['id']]);

    const missing = await callGateway(rig.gateway, '/v1/shipments', { key: SHOP_KEY });
    expect(missing.status).toBe(400);
    expect(missing.body['code']).toBe('ERR_REQUEST_INVALID');
  });

  it('keeps a record "unknown" when the label was made and the answer lost (create-then-5xx)', async () => {
    await rig.sims.ups.setFaults({ shipmentFault: { kind: 'create-then-5xx', count: 1 } });
    const lost = await postShipment(rig.gateway, SHOP_KEY);
    expect(lost.status).toBe(502);
    expect(rig.sims.ups.stats().labelsCreated).toBe(1);
    const id = (lost.body['shipmentId'] as string | undefined) ?? '';
    expect(id).toMatch(/^shp_/);

    const record = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ id, status: 'unknown', account: 'ups-main', labels: [] });
  });
});

describe('label retention', () => {
  it('answers labelsExpired once labels are past their retention, and keeps the record', async () => {
    const shortLabels = await startTestGateway({
      name: 'records-short-labels',
      redis: { url: rig.redis.url, keyPrefix: 'short:' },
      accounts: [rig.sims.upsMain()],
      clientKey: SHOP_KEY,
      config: { shipments: { retentionDays: 30, labelRetentionDays: 0 } },
    });
    const created = await postShipment(shortLabels, SHOP_KEY);
    expect(created.status).toBe(201);
    const record = await callGateway(shortLabels, `/v1/shipments/${created.body['id'] as string}`, {
      key: SHOP_KEY,
    });
    expect(record.body).toMatchObject({ status: 'created', labelsExpired: true });
    expect(record.body).not.toHaveProperty('labels');
    expect(record.body['trackingNumbers']).toEqual(created.body['trackingNumbers']);

    const client = rig.redis.client();
    const ttl = await client.pttl(`short:shipment:{${created.body['id'] as string}}`);
    client.disconnect();
    // 30 days, give or take the test's own run time.
    expect(ttl).toBeGreaterThan(29 * 24 * 3600 * 1000);
  });
});
